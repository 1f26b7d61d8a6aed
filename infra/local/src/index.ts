export { type PrivateOptions, type PrivateServer, startPrivate } from './private.js';
export { consoleProgress, type Progress } from './progress.js';
