import { randomBytes } from 'node:crypto';
import { readEndpoints } from '@tandem/testkit';
import pg from 'pg';

export interface FreshDatabase {
  /** The URL of the database, created empty on the first call. */
  url(): Promise<string>;
  /** Drops the database, closing whatever connections are left. */
  drop(): Promise<void>;
}

/**
 * A database of its own on the Postgres server of `pnpm infra:up`: each test file starts
 * from an empty schema, so the migrations run from the first one every time, and runs
 * leave nothing behind for the next. Throws, naming what to run, when there is no server.
 */
export function freshDatabase(ctype = 'C.UTF-8'): FreshDatabase {
  let created: Promise<{ admin: string; name: string; url: string }> | undefined;
  return {
    async url() {
      created ??= create(ctype);
      return (await created).url;
    },
    async drop() {
      // Not created (no server): the tests that needed it have failed, saying why.
      const database = await created?.catch(() => undefined);
      if (!database) return;
      const { admin, name } = database;
      await withClient(admin, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function create(ctype: string): Promise<{ admin: string; name: string; url: string }> {
  const admin = readEndpoints().postgres.url;
  const name = `tandem_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    // Full-text search needs a UTF-8 LC_CTYPE (see openPostgres), whatever the server's
    // default; template0, because template1 may have been made with another locale.
    await withClient(admin, (client) =>
      client.query(
        `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE '${ctype}'`,
      ),
    );
  } catch (err) {
    throw new Error(`cannot create a test database on the Postgres of ${admin}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { admin, name, url: url.toString() };
}

/** One connection for one statement, outside the code under test. */
export async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
