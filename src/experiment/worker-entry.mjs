// Worker threads start without the parent's TypeScript loader: load the worker through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
