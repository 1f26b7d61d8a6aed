export { SqlHistoryStore } from './history.js';
export { SqlMetadataStore } from './metadata.js';
export { SqlSearchIndex } from './search.js';
export { SqlSnapshotStore } from './snapshots.js';
export { type SqlClient, toNumber } from './sql.js';
