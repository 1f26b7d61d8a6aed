import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { isTandemError } from '@tandem/errors';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, runMigrations } from '../src/index.js';

const dirs: string[] = [];
let db: PGlite;

function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

async function tables(): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
  );
  return rows.map((row) => row.name);
}

beforeEach(async () => {
  db = await PGlite.create();
});
afterEach(async () => {
  await db.close();
});
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('runMigrations', () => {
  it('applies the repository migrations by default and returns their names', async () => {
    const expected = readdirSync(DEFAULT_MIGRATIONS_DIR)
      .filter((name) => name.endsWith('.sql'))
      .sort();
    expect(expected).toContain('0001_init.sql');
    expect(await runMigrations(db)).toEqual(expected);
    expect(await tables()).toEqual(
      expect.arrayContaining([
        'documents',
        'op_log',
        'permissions',
        'schema_migrations',
        'search_docs',
        'snapshots',
      ]),
    );
  });

  it('applies each file once, in name order', async () => {
    const dir = migrationsDir({
      '0002_b.sql': 'INSERT INTO log VALUES (2);',
      '0001_a.sql': 'CREATE TABLE log (n int); INSERT INTO log VALUES (1);',
      'README.txt': 'not a migration',
    });
    expect(await runMigrations(db, dir)).toEqual(['0001_a.sql', '0002_b.sql']);
    expect(await runMigrations(db, dir)).toEqual([]);
    writeFileSync(join(dir, '0003_c.sql'), 'INSERT INTO log VALUES (3);');
    expect(await runMigrations(db, dir)).toEqual(['0003_c.sql']);
    const { rows } = await db.query<{ n: number }>('SELECT n FROM log ORDER BY n');
    expect(rows.map((row) => row.n)).toEqual([1, 2, 3]);
  });

  it('rolls a failing file back entirely, keeps the files before it, and retries it next time', async () => {
    const dir = migrationsDir({
      '0001_a.sql': 'CREATE TABLE a (n int);',
      '0002_b.sql': 'CREATE TABLE b (n int); SELECT no_such_function();',
    });
    const error = await runMigrations(db, dir).catch((err: unknown) => err);
    expect(isTandemError(error, 'INTERNAL')).toBe(true);
    expect(String((error as Error).message)).toContain('0002_b.sql');
    expect(await tables()).toEqual(['a', 'schema_migrations']);
    writeFileSync(join(dir, '0002_b.sql'), 'CREATE TABLE b (n int);');
    expect(await runMigrations(db, dir)).toEqual(['0002_b.sql']);
  });

  it('refuses to run when an applied file was changed', async () => {
    const dir = migrationsDir({ '0001_a.sql': 'CREATE TABLE a (n int);' });
    await runMigrations(db, dir);
    writeFileSync(join(dir, '0001_a.sql'), 'CREATE TABLE a (n bigint);');
    const error = await runMigrations(db, dir).catch((err: unknown) => err);
    expect(isTandemError(error, 'INTERNAL')).toBe(true);
    expect(String((error as Error).message)).toContain('0001_a.sql');
  });

  it('holds its advisory lock only while it runs, failed or not', async () => {
    const advisoryLocks = async () =>
      (await db.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'")).rows.length;
    await runMigrations(db, migrationsDir({ '0001_a.sql': 'CREATE TABLE a (n int);' }));
    expect(await advisoryLocks()).toBe(0);
    await runMigrations(db, migrationsDir({ '0001_a.sql': 'SELECT no_such_function();' })).catch(
      () => undefined,
    );
    expect(await advisoryLocks()).toBe(0);
  });
});
