export type { CommitOutcome, DocStateStore } from './doc-state.js';
export type { EventBus, TandemEvent } from './events.js';
export type { DocBroadcast, FanOut } from './fan-out.js';
export type { DocumentListItem, DocumentMeta, MetadataStore, Page, Permission } from './metadata.js';
export { assertSameOps, type OpLog } from './op-log.js';
export type { ClientSeq, OpRecord } from './op-record.js';
export type { PresenceEntry, PresenceStore } from './presence.js';
export type { SearchHit, SearchIndex } from './search.js';
export type { SnapshotStore, StoredSnapshot } from './snapshots.js';
