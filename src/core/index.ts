export * from './operators.js';
export * from './job.js';
export * from './parallelism.js';
export * from './metrics.js';
export * from './decision.js';
export * from './random.js';
export * from './rates.js';
