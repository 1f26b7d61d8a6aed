/**
 * Port conformance suites: the behaviours every adapter of a port must have, as vitest
 * suites that each adapter's tests run against itself (ShareDB's pattern). Imported from
 * '@tandem/core/conformance' by test files only, so vitest is a peer dependency of
 * @tandem/core used by this entry alone.
 */

export { type DocStateStoreFixture, docStateStoreConformance } from './doc-state.js';
export { type EventBusFixture, eventBusConformance } from './event-bus.js';
export { type FanOutFixture, fanOutConformance } from './fan-out.js';
export { type HistoryStoreFixture, historyStoreConformance } from './history.js';
export { type InboxFixture, inboxConformance } from './inbox.js';
export { type MembershipFixture, type MembershipView, membershipConformance } from './membership.js';
export { type MetadataStoreFixture, metadataStoreConformance } from './metadata.js';
export { type OpLogFixture, opLogConformance } from './op-log.js';
export { type PresenceStoreFixture, presenceStoreConformance } from './presence.js';
export { type SearchIndexFixture, searchIndexConformance } from './search.js';
export { type SnapshotStoreFixture, snapshotStoreConformance } from './snapshots.js';
