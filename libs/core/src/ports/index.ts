export type { CommitOutcome, DocStateStore } from './doc-state.js';
export type { EventBus, TandemEvent } from './events.js';
export type { DocBroadcast, FanOut } from './fan-out.js';
export {
  describeHistoryEntry,
  type HistoryEntry,
  type HistoryQuery,
  type HistoryState,
  type HistoryStore,
  newestVersion,
} from './history.js';
export type { Inbox } from './inbox.js';
export type { Membership } from './membership.js';
export type { DocumentListItem, DocumentMeta, MetadataStore, Page, Permission } from './metadata.js';
export { assertSameOps, type OpLog } from './op-log.js';
export type { ClientSeq, OpRecord } from './op-record.js';
export type { PresenceEntry, PresenceStore } from './presence.js';
export { indexedPart, MAX_INDEXED_CHARS, type SearchHit, type SearchIndex, snippetHtml } from './search.js';
export type { SnapshotStore, StoredSnapshot } from './snapshots.js';
