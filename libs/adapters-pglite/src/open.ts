import { PGlite } from '@electric-sql/pglite';
import { runMigrations } from '@tandem/sql-migrations';

/**
 * Opens the embedded database: in memory when `dataDir` is undefined (tests), otherwise
 * in that directory (created if missing), with the schema migrated to the latest.
 *
 * One PGlite instance is one Postgres session: share it between the stores of a process,
 * and never open the same directory from two processes at once (nothing locks it; two
 * instances would overwrite each other's pages).
 */
export async function openPglite(dataDir?: string): Promise<PGlite> {
  const db = await PGlite.create({
    ...(dataDir === undefined ? {} : { dataDir }),
    // The default, stated because the op log's durability depends on it: every query
    // resolves only after PGlite has handed its writes to the filesystem
    // (docs/decisions.md, "Embedded storage (PGlite)").
    relaxedDurability: false,
  });
  try {
    await runMigrations(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
