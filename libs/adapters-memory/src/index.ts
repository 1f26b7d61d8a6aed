export { InProcessEventBus } from './in-process-event-bus.js';
export { InProcessFanOut } from './in-process-fan-out.js';
export { InProcessInbox } from './in-process-inbox.js';
export { MemoryDocStateStore } from './memory-doc-state.js';
export { MemoryMembership } from './memory-membership.js';
export { MemoryOpLog } from './memory-op-log.js';
export { MemoryPresenceStore } from './memory-presence.js';
export { MemorySnapshotStore } from './memory-snapshots.js';
