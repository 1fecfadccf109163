/** The learning room: TF.js backend choice, features, GNN/MLP encoders, bottleneck heads, training, save/load. */
export * from './backend.js';
export * from './features.js';
export * from './params.js';
export * from './gnn.js';
export * from './head.js';
export * from './model.js';
export * from './train.js';
export * from './io.js';
export * from './toy.js';
