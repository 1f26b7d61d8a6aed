import { SqlMetadataStore, SqlSearchIndex, SqlSnapshotStore } from '@tandem/adapters-sql';
import {
  metadataStoreConformance,
  opLogConformance,
  searchIndexConformance,
  snapshotStoreConformance,
} from '@tandem/core/conformance';
import { openPglite, PgliteOpLog } from '../src/index.js';

// In-memory PGlite: the same engine and SQL as on disk, without the file writes. The
// stores other than the op log are @tandem/adapters-sql's, which Postgres runs too.

opLogConformance('PGlite', async () => {
  const db = await openPglite();
  return { store: new PgliteOpLog(db), close: () => db.close() };
});

snapshotStoreConformance('PGlite', async () => {
  const db = await openPglite();
  return { store: new SqlSnapshotStore(db), close: () => db.close() };
});

metadataStoreConformance('PGlite', async () => {
  const db = await openPglite();
  return { store: new SqlMetadataStore(db), close: () => db.close() };
});

searchIndexConformance('PGlite', async () => {
  const db = await openPglite();
  return { index: new SqlSearchIndex(db), metadata: new SqlMetadataStore(db), close: () => db.close() };
});
