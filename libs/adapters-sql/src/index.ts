export { SqlMetadataStore } from './metadata.js';
export { MAX_INDEXED_CHARS, SqlSearchIndex } from './search.js';
export { SqlSnapshotStore } from './snapshots.js';
export { type SqlClient, toNumber } from './sql.js';
