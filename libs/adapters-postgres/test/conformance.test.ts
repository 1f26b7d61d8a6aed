import { SqlMetadataStore, SqlSearchIndex, SqlSnapshotStore } from '@tandem/adapters-sql';
import {
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
  return { store: new SqlSnapshotStore(db), close: () => db.close() };
});

metadataStoreConformance('Postgres', async () => {
  const db = await openPostgres(await database.url());
  return { store: new SqlMetadataStore(db), close: () => db.close() };
});

searchIndexConformance('Postgres', async () => {
  const db = await openPostgres(await database.url());
  return { index: new SqlSearchIndex(db), metadata: new SqlMetadataStore(db), close: () => db.close() };
});
