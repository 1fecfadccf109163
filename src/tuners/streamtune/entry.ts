/** StreamTune as the registry sees it: the tuner module and its hooks (hooks.ts). */
export { color, create, doc, options } from './index.js';
export { asset, check, decideSec } from './hooks.js';
