export * from './config.js';
export * from './connect.js';
export * from './ops-server.js';
