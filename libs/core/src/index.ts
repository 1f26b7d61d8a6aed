export { CallBatcher } from './call-batcher.js';
export { type EachDocumentOptions, eachDocument } from './each-document.js';
export { CollabEngine, type CollabEngineDeps, type CollabEngineOptions } from './engine/collab-engine.js';
export type { CollabService } from './engine/collab-service.js';
export { conflictNotice } from './engine/conflict-notice.js';
export { EventOutbox } from './engine/event-outbox.js';
export type { SubmitRequest, SubmitResult } from './engine/live-doc.js';
export { type EngineObserver, type Log, noopObserver, silentLog } from './engine/observer.js';
export {
  colorOf,
  PRESENCE_COLORS,
  PresenceHub,
  type PresenceHubDeps,
  type PresenceHubOptions,
} from './engine/presence-hub.js';
export { gridDelayMs } from './grid-delay.js';
export { KeyedQueue } from './keyed-queue.js';
export * from './ports/index.js';
export { retryDelayMs } from './retry-delay.js';
