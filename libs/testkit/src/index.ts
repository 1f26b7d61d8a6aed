export * from './e2e.js';
export * from './endpoints.js';
export * from './generators.js';
export * from './proc.js';
export * from './random.js';
export * from './reference-server.js';
export * from './reference-ws-server.js';
export * from './simulation.js';
