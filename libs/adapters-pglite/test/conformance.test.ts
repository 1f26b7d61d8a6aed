import {
  type SqlClient,
  SqlHistoryStore,
  SqlMetadataStore,
  SqlSearchIndex,
  SqlSnapshotStore,
} from '@tandem/adapters-sql';
import {
  historyStoreConformance,
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
  return {
    store: new SqlSnapshotStore(db),
    corrupt: (docId, version) => corruptSnapshot(db, docId, version),
    close: () => db.close(),
  };
});

metadataStoreConformance('PGlite', async () => {
  const db = await openPglite();
  return { store: new SqlMetadataStore(db), close: () => db.close() };
});

searchIndexConformance('PGlite', async () => {
  const db = await openPglite();
  return { index: new SqlSearchIndex(db), metadata: new SqlMetadataStore(db), close: () => db.close() };
});

/** Rewrites a snapshot's data behind the store's back, leaving its checksum: what only the checksum can catch. */
async function corruptSnapshot(db: SqlClient, docId: string, version: number): Promise<void> {
  const { rows } = await db.query(
    `UPDATE snapshots SET data = to_json('corrupted ' || version::text) WHERE doc_id = $1 AND version = $2
     RETURNING version`,
    [docId, version],
  );
  if (rows.length !== 1) throw new Error(`no snapshot ${docId}@${version} to corrupt`);
}

historyStoreConformance('PGlite', async () => {
  const db = await openPglite();
  return { store: new SqlHistoryStore(db), close: () => db.close() };
});
