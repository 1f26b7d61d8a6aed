import {
  metadataStoreConformance,
  opLogConformance,
  searchIndexConformance,
  snapshotStoreConformance,
} from '@tandem/core/conformance';
import {
  openPglite,
  PgliteMetadataStore,
  PgliteOpLog,
  PgliteSearchIndex,
  PgliteSnapshotStore,
} from '../src/index.js';

// In-memory PGlite: the same engine and SQL as on disk, without the file writes.

opLogConformance('PGlite', async () => {
  const db = await openPglite();
  return { store: new PgliteOpLog(db), close: () => db.close() };
});

snapshotStoreConformance('PGlite', async () => {
  const db = await openPglite();
  return { store: new PgliteSnapshotStore(db), close: () => db.close() };
});

metadataStoreConformance('PGlite', async () => {
  const db = await openPglite();
  return { store: new PgliteMetadataStore(db), close: () => db.close() };
});

searchIndexConformance('PGlite', async () => {
  const db = await openPglite();
  return { index: new PgliteSearchIndex(db), metadata: new PgliteMetadataStore(db), close: () => db.close() };
});
