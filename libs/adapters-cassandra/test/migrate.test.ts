import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectCassandra, migrateCassandra } from '../src/index.js';
import { statements } from '../src/migrate.js';
import { dropKeyspace, testOptions } from './cassandra.js';

describe('migrateCassandra', () => {
  const keyspaces: ReturnType<typeof testOptions>[] = [];
  const fresh = () => {
    const options = testOptions();
    keyspaces.push(options);
    return options;
  };
  afterAll(async () => {
    for (const options of keyspaces) await dropKeyspace(options);
  });

  it('creates the keyspace and the op log tables once when two processes start at once', async () => {
    const options = fresh();
    const results = await Promise.all([migrateCassandra(options), migrateCassandra(options)]);
    expect(results.flat()).toEqual(['0001_op_log.cql']);
    expect(await migrateCassandra(options)).toEqual([]);
    const client = await connectCassandra(options);
    try {
      const tables = await client.execute(
        'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?',
        [options.keyspace],
        { prepare: true },
      );
      expect(tables.rows.map((row) => row.get('table_name')).sort()).toEqual([
        'op_log',
        'op_log_buckets',
        'op_log_settings',
        'schema_migrations',
        'schema_migrations_lock',
      ]);
    } finally {
      await client.shutdown();
    }
  }, 120_000);

  it('refuses a migration that was changed after it was applied', async () => {
    const options = fresh();
    const dir = await mkdtemp(join(tmpdir(), 'tandem-cql-'));
    try {
      await writeFile(join(dir, '0001_t.cql'), 'CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY);\n');
      expect(await migrateCassandra({ ...options, dir })).toEqual(['0001_t.cql']);
      await writeFile(join(dir, '0001_t.cql'), 'CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, x int);\n');
      await expect(migrateCassandra({ ...options, dir })).rejects.toMatchObject({ code: 'INTERNAL' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('splits a file into statements at the semicolons that end lines, without comments', () => {
    const cql = [
      '-- a comment; with a semicolon',
      'CREATE TABLE a (',
      '  id text PRIMARY KEY -- the key',
      ');',
      '',
      "INSERT INTO a (id) VALUES ('x;y');",
      'CREATE TABLE b (id int PRIMARY KEY)',
    ].join('\n');
    expect(statements(cql)).toEqual([
      'CREATE TABLE a (\n  id text PRIMARY KEY -- the key\n)',
      "INSERT INTO a (id) VALUES ('x;y')",
      'CREATE TABLE b (id int PRIMARY KEY)',
    ]);
  });
});
