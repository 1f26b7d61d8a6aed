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
  searchIndexConformance,
  snapshotStoreConformance,
} from '@tandem/core/conformance';
import { afterAll } from 'vitest';
import { openPostgres } from '../src/index.js';
import { freshDatabase } from './fresh-database.js';

// The SQL stores PGlite runs, on the real Postgres server of `pnpm infra:up`, in a database
// created for this file and migrated by the first openPostgres().

const database = freshDatabase();
afterAll(() => database.drop());

snapshotStoreConformance('Postgres', async () => {
  const db = await openPostgres(await database.url());
  return {
    store: new SqlSnapshotStore(db),
    corrupt: (docId, version) => corruptSnapshot(db, docId, version),
    close: () => db.close(),
  };
});

metadataStoreConformance('Postgres', async () => {
  const db = await openPostgres(await database.url());
  return { store: new SqlMetadataStore(db), close: () => db.close() };
});

searchIndexConformance('Postgres', async () => {
  const db = await openPostgres(await database.url());
  return { index: new SqlSearchIndex(db), metadata: new SqlMetadataStore(db), close: () => db.close() };
});

historyStoreConformance('Postgres', async () => {
  const db = await openPostgres(await database.url());
  return { store: new SqlHistoryStore(db), close: () => db.close() };
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
