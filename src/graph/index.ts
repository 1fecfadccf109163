export * from './ged.js';
export * from './kmedoids.js';
export * from './dag.js';
export { linearSumAssignment, type Assignment } from './assignment.js';
