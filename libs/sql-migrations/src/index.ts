import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TandemError } from '@tandem/errors';

/**
 * One database session: PGlite itself, or one checked-out pg client (not a pool, since
 * BEGIN, the migration and COMMIT must run on the same connection).
 */
export interface MigrationExecutor {
  /** One statement with $1, $2… parameters. */
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Any number of statements, without parameters (a migration file). */
  exec(sql: string): Promise<unknown>;
}

/**
 * infra/migrations, found from this file: src/ in the workspace and dist/ when built are
 * both two levels under libs/sql-migrations, so the same relative path works for both.
 */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../../infra/migrations/', import.meta.url));

/**
 * Key of the advisory lock that serializes runners: two services starting at once against
 * the same Postgres would otherwise both see a migration as pending and both apply it.
 * Any fixed number works; this one is "tandem" in ASCII.
 */
const LOCK_KEY = 0x74616e64656d;

interface AppliedRow {
  name: string;
  checksum: string;
}

export interface Migration {
  name: string;
  text: string;
  /** sha256 of the text, recorded when applied. */
  checksum: string;
}

/**
 * The files of `dir` ending in `extension` that `applied` (name → recorded checksum) does
 * not hold yet, in name order. Shared by every schema that keeps a schema_migrations record
 * (SQL here, the Cassandra op log's CQL). An applied file whose content has changed since is
 * refused (INTERNAL): the database would silently differ from what the file says.
 */
export async function pendingMigrations(
  dir: string,
  extension: string,
  applied: ReadonlyMap<string, string>,
): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(extension)).sort();
  const pending: Migration[] = [];
  for (const name of files) {
    const text = await readFile(join(dir, name), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    const recorded = applied.get(name);
    if (recorded === undefined) pending.push({ name, text, checksum });
    else if (recorded !== checksum) {
      throw new TandemError('INTERNAL', `migration ${name} was changed after it was applied`, {
        details: { name, recorded, actual: checksum },
      });
    }
  }
  return pending;
}

/**
 * Applies the *.sql files of `dir` that are not yet recorded in schema_migrations, in
 * name order, each in its own transaction together with its record, so a failed file
 * leaves no trace and is retried on the next run. Returns the names it applied (empty
 * when the schema was current); logs nothing, the caller does.
 *
 * An applied file whose content has changed since is refused (INTERNAL): the database
 * would silently differ from what the file says. Fix it with a new migration instead.
 */
export async function runMigrations(
  db: MigrationExecutor,
  dir: string = DEFAULT_MIGRATIONS_DIR,
): Promise<string[]> {
  await db.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
  try {
    await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name        text        PRIMARY KEY,
      checksum    text        NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await db.query('SELECT name, checksum FROM schema_migrations');
    const applied = new Map((rows as AppliedRow[]).map((row) => [row.name, row.checksum]));
    const done: string[] = [];
    for (const { name, text: sql, checksum } of await pendingMigrations(dir, '.sql', applied)) {
      await db.exec('BEGIN');
      try {
        await db.exec(sql);
        await db.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [name, checksum]);
        await db.exec('COMMIT');
      } catch (err) {
        // A failed ROLLBACK means the session is gone, which undoes the transaction too;
        // the migration's own error is the one worth reporting.
        await db.exec('ROLLBACK').catch(() => undefined);
        throw new TandemError('INTERNAL', `migration ${name} failed: ${(err as Error).message}`, {
          details: { name },
          cause: err,
        });
      }
      done.push(name);
    }
    return done;
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]);
  }
}
