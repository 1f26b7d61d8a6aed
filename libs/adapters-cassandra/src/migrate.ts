import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TandemError } from '@tandem/errors';
import { pendingMigrations } from '@tandem/sql-migrations';
import type { Client } from 'cassandra-driver';
import { type CassandraOptions, call, checkKeyspace, createCassandraClient } from './client.js';

/** infra/migrations/cassandra, found from this file (src/ and dist/ sit at the same depth). */
export const CASSANDRA_MIGRATIONS_DIR = fileURLToPath(
  new URL('../../../infra/migrations/cassandra/', import.meta.url),
);

export interface MigrateOptions extends CassandraOptions {
  /**
   * Replicas per data center of a keyspace created here (an existing keyspace is left as it
   * is). 1 suits a single development node; production clusters want 3.
   */
  replicationFactor?: number;
  dir?: string;
  /** How long to wait for another process's migration to finish. */
  lockWaitMs?: number;
}

/**
 * A migration holds this lock row. Its TTL frees the lock of a process that died while
 * migrating; a migration must finish within it.
 */
const LOCK_TTL_SECONDS = 120;

/**
 * Creates the keyspace if needed and applies the *.cql files of `dir` not yet recorded in
 * its schema_migrations table, in name order. Returns the names it applied.
 *
 * Two processes starting at once are serialized by a lightweight-transaction lock (INSERT …
 * IF NOT EXISTS, with a TTL), so only one applies a file; the other waits, then finds it
 * recorded. That is as far as Cassandra allows: it has no transactional DDL, so a file that
 * fails halfway is applied again from its start (its statements must be idempotent, IF NOT
 * EXISTS), and the lock tables themselves are created by every starter with IF NOT EXISTS.
 * An applied file whose content changed since is refused (INTERNAL), as in the SQL runner.
 */
export async function migrateCassandra(options: MigrateOptions): Promise<string[]> {
  const keyspace = checkKeyspace(options.keyspace);
  const dataCenter = options.localDataCenter.replaceAll("'", "''");
  const admin = createCassandraClient(options, null);
  try {
    await call('create keyspace', () =>
      admin.execute(
        `CREATE KEYSPACE IF NOT EXISTS ${keyspace} WITH replication = ` +
          `{'class': 'NetworkTopologyStrategy', '${dataCenter}': ${options.replicationFactor ?? 1}}`,
        [],
        { prepare: false },
      ),
    );
  } finally {
    await admin.shutdown();
  }
  const client = createCassandraClient(options);
  try {
    await call('create migration tables', async () => {
      await client.execute(
        'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, checksum text, applied_at timestamp)',
        [],
        { prepare: false },
      );
      await client.execute(
        'CREATE TABLE IF NOT EXISTS schema_migrations_lock (id text PRIMARY KEY, owner text)',
        [],
        { prepare: false },
      );
    });
    const owner = randomUUID();
    await acquireLock(client, owner, options.lockWaitMs ?? 150_000);
    try {
      return await applyPending(client, options.dir ?? CASSANDRA_MIGRATIONS_DIR);
    } finally {
      await client
        .execute('DELETE FROM schema_migrations_lock WHERE id = ? IF owner = ?', ['lock', owner])
        .catch(() => undefined);
    }
  } finally {
    await client.shutdown();
  }
}

async function acquireLock(client: Client, owner: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const result = await call('take the migration lock', () =>
      client.execute(
        `INSERT INTO schema_migrations_lock (id, owner) VALUES (?, ?) IF NOT EXISTS USING TTL ${LOCK_TTL_SECONDS}`,
        ['lock', owner],
      ),
    );
    if (result.wasApplied()) return;
    if (Date.now() > deadline) {
      throw new TandemError('UNAVAILABLE', 'Another process has held the Cassandra migration lock too long', {
        retryAfterMs: 5_000,
        details: { holder: result.first()?.get('owner') },
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function applyPending(client: Client, dir: string): Promise<string[]> {
  const rows = (
    await call('read schema_migrations', () => client.execute('SELECT name, checksum FROM schema_migrations'))
  ).rows;
  const applied = new Map(rows.map((row) => [row.get('name') as string, row.get('checksum') as string]));
  const done: string[] = [];
  for (const { name, text: cql, checksum } of await pendingMigrations(dir, '.cql', applied)) {
    for (const statement of statements(cql)) {
      // The driver waits for every node to agree on the schema after each change.
      await call(`migration ${name}`, () => client.execute(statement, [], { prepare: false }));
    }
    await call(`record migration ${name}`, () =>
      client.execute('INSERT INTO schema_migrations (name, checksum, applied_at) VALUES (?, ?, ?)', [
        name,
        checksum,
        new Date(),
      ]),
    );
    done.push(name);
  }
  return done;
}

/** The statements of a migration file: `--` comments dropped, split at a `;` that ends a line. */
export function statements(cql: string): string[] {
  return cql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
