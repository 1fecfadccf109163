export * from './decisions.js';
export * from './workers.js';
export * from './metrics.js';
