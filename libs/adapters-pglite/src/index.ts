export { PgliteMetadataStore } from './metadata.js';
export { PgliteOpLog } from './op-log.js';
export { LOCK_FILE, lockDataDir, type OpenPgliteOptions, openPglite } from './open.js';
export { MAX_INDEXED_CHARS, PgliteSearchIndex } from './search.js';
export { PgliteSnapshotStore } from './snapshots.js';
export type { SqlClient } from './sql.js';
