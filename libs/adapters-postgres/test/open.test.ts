import { readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Log } from '@tandem/core';
import { isTandemError, TandemError } from '@tandem/errors';
import { DEFAULT_MIGRATIONS_DIR } from '@tandem/sql-migrations';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgres, type PostgresDatabase } from '../src/index.js';
import { freshDatabase, withClient } from './fresh-database.js';

const database = freshDatabase();
const opened: PostgresDatabase[] = [];

afterAll(async () => {
  await Promise.all(opened.map((db) => db.close()));
  await database.drop();
});

async function open(options: Parameters<typeof openPostgres>[1] = {}): Promise<PostgresDatabase> {
  const db = await openPostgres(await database.url(), options);
  opened.push(db);
  return db;
}

interface Warning {
  obj: object;
  msg: string | undefined;
}

function recordingLog(warnings: Warning[]): Log {
  const ignore = (): void => {};
  return { debug: ignore, info: ignore, error: ignore, warn: (obj, msg) => warnings.push({ obj, msg }) };
}

async function waitFor(predicate: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A 127.0.0.1 port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('openPostgres', () => {
  it('migrates a new database exactly once when several services start at once', async () => {
    // Separate pools are separate sessions, to Postgres the same as separate processes:
    // without the advisory lock, all four would find 0001 pending and three would fail
    // on CREATE TABLE of a table that already exists.
    const [first, ...others] = await Promise.all([open(), open(), open(), open()]);
    const dbs = [first, ...others];
    const files = (await readdir(DEFAULT_MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
    for (const db of dbs) {
      const { rows } = await db.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
      expect(rows.map((row) => row.name)).toEqual(files);
    }
    const { rows } = await first.query<{ n: string }>(
      `SELECT count(*) AS n FROM information_schema.tables
       WHERE table_name IN ('documents', 'permissions', 'op_log', 'snapshots', 'search_docs')`,
    );
    expect(Number(rows[0]?.n)).toBe(5);
  });

  it('applies nothing when the schema is current', async () => {
    const first = await open();
    const before = await first.query<{ name: string; applied_at: Date }>(
      'SELECT name, applied_at FROM schema_migrations ORDER BY name',
    );
    const again = await open();
    const after = await again.query<{ name: string; applied_at: Date }>(
      'SELECT name, applied_at FROM schema_migrations ORDER BY name',
    );
    expect(after.rows).toEqual(before.rows);
  });

  it("warns when the database's LC_CTYPE would keep search from folding non-ASCII case", async () => {
    const warnings: Warning[] = [];
    await open({ log: recordingLog(warnings) });
    expect(warnings).toEqual([]);

    const cLocale = freshDatabase('C');
    try {
      const db = await openPostgres(await cLocale.url(), { log: recordingLog(warnings) });
      await db.close();
    } finally {
      await cLocale.drop();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.obj).toMatchObject({ lc_ctype: 'C' });
  });

  it('passes a statement error through unchanged, with its SQLSTATE', async () => {
    const db = await open();
    const err = await db.query('SELECT * FROM no_such_table').catch((e: unknown) => e);
    expect(isTandemError(err)).toBe(false);
    expect(err).toMatchObject({ code: '42P01' });
  });

  it('fails a query whose connection the server ends with UNAVAILABLE, and carries on', async () => {
    const app = `tandem-test-${process.pid}-terminate`;
    const warnings: Warning[] = [];
    const db = await open({ applicationName: app, max: 2, log: recordingLog(warnings) });
    const admin = await database.url();
    const sleeping = db.query('SELECT pg_sleep(30)').catch((e: unknown) => e);
    const active = async () =>
      withClient(admin, async (client) => {
        const { rows } = await client.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'",
          [app],
        );
        return rows.length > 0;
      });
    await waitFor(active, 'the sleeping query to start');
    await withClient(admin, (client) =>
      client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        app,
      ]),
    );

    const err = await sleeping;
    expect(err).toBeInstanceOf(TandemError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
    expect(rows).toEqual([{ one: 1 }]);

    // Now the pool holds an idle connection: ending it from the server must neither crash
    // the process (an unhandled 'error' event) nor fail the next query.
    await withClient(admin, (client) =>
      client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        app,
      ]),
    );
    await waitFor(async () => warnings.length > 0, 'the lost idle connection to be reported');
    expect(warnings[0]?.msg).toBe('postgres connection lost while idle');
    expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('refuses to open an unreachable server with UNAVAILABLE, without the password in the message', async () => {
    const port = await closedPort();
    const err = await openPostgres(`postgres://tandem:hunter2-secret@127.0.0.1:${port}/tandem`, {
      connectionTimeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TandemError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).not.toContain('hunter2-secret');
  });
});
