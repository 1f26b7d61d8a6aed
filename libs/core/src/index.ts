export { CollabEngine, type CollabEngineDeps, type CollabEngineOptions } from './engine/collab-engine.js';
export { conflictNotice } from './engine/conflict-notice.js';
export type { SubmitRequest, SubmitResult } from './engine/live-doc.js';
export { type EngineObserver, type Log, noopObserver, silentLog } from './engine/observer.js';
export * from './ports/index.js';
