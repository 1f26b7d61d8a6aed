/**
 * Shared helpers of the standalone server's end-to-end tests: a real server on 127.0.0.1
 * (in process, PGlite in a fresh temp dir, port 0). Those that work against any server
 * (REST, raw WebSockets, TandemClients, the op log checks) are in @tandem/testkit.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPglite } from '@tandem/adapters-pglite';
import { loadConfig } from '@tandem/config';
import { silentLogger } from '@tandem/logging';
import { Api, devSignIn, wsUrlOf } from '@tandem/testkit';
import { afterAll, beforeAll } from 'vitest';
import { standaloneConfig } from '../src/config.js';
import { startEmbedded } from '../src/embedded.js';

/** A fixed secret, so tokens stay valid across a restart on the same data. */
export const TEST_SECRET = 'e2e-test-secret-that-is-at-least-32-characters';

/** The repository's root. */
export const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

/**
 * A key for the database schema: a hash of the migrations and the PGlite adapter (and
 * PGlite's version), so a template made before either changed is never used.
 */
async function schemaKey(): Promise<string> {
  const hash = createHash('sha256');
  for (const dir of ['libs/sql-migrations/src', 'libs/adapters-pglite/src']) {
    const names = (await readdir(join(ROOT, dir), { recursive: true })).sort();
    for (const name of names) {
      const path = join(ROOT, dir, name);
      if ((await stat(path)).isFile()) hash.update(name).update(await readFile(path));
    }
  }
  const pglite = join(ROOT, 'libs/adapters-pglite/node_modules/@electric-sql/pglite/package.json');
  hash.update(await readFile(pglite).catch(() => Buffer.from('')));
  return hash.digest('hex').slice(0, 16);
}

const TEMPLATE_PREFIX = 'tandem-e2e-pglite-';
const TEMPLATE_READY = 'e2e-template-ready';
let template: Promise<string> | undefined;

/**
 * A migrated, closed PGlite data directory to copy: creating a database takes seconds
 * (initdb in WebAssembly, then the migrations), copying one a fraction of that. Made once
 * per schema and shared by the test files (each runs in its own worker), in the temp dir.
 */
function templateDir(): Promise<string> {
  template ??= (async () => {
    const dir = join(tmpdir(), `${TEMPLATE_PREFIX}${await schemaKey()}`);
    if (
      await stat(join(dir, TEMPLATE_READY)).then(
        () => true,
        () => false,
      )
    )
      return dir;
    const staging = await mkdtemp(join(tmpdir(), 'tandem-e2e-staging-'));
    const db = await openPglite(staging);
    await db.close();
    await writeFile(join(staging, TEMPLATE_READY), '');
    try {
      await rename(staging, dir);
      // Templates of older schemas are of no further use.
      for (const name of await readdir(tmpdir())) {
        const old = join(tmpdir(), name);
        if (name.startsWith(TEMPLATE_PREFIX) && old !== dir) await rm(old, { recursive: true, force: true });
      }
    } catch {
      // Another worker made it first.
      await rm(staging, { recursive: true, force: true });
    }
    return dir;
  })();
  return template;
}

/** Where startEmbedded keeps its PGlite database inside DATA_DIR (src/embedded.ts). */
const PG_SUBDIR = 'pg';

/**
 * A fresh DATA_DIR holding an empty, migrated database. (Should the server keep its
 * database elsewhere, it creates a new one there: slower, never wrong.)
 */
export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tandem-e2e-'));
  await cp(await templateDir(), join(dir, PG_SUBDIR), { recursive: true });
  await rm(join(dir, PG_SUBDIR, TEMPLATE_READY));
  return dir;
}

export interface TestServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port>/ws */
  wsUrl: string;
  api: Api;
  dataDir: string;
  /** Graceful close (the embedded server's own), then the data dir is removed. Idempotent. */
  close(): Promise<void>;
}

/** Starts a test server before the suite's tests and closes it after them; returns its accessor. */
export function useTestServer(env: Record<string, string> = {}): () => TestServer {
  let server: TestServer | undefined;
  beforeAll(async () => {
    server = await startTestServer(env);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  }, 30_000);
  return () => {
    if (!server) throw new Error('the test server did not start');
    return server;
  };
}

/** The standalone server in this process, on an ephemeral port, with its data in a fresh temp dir. */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = await tempDataDir();
  const config = loadConfig(standaloneConfig, {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    AUTH_SECRET: TEST_SECRET,
    ...env,
  });
  const tandem = await startEmbedded(config, silentLogger());
  let closing: Promise<void> | undefined;
  return {
    url: tandem.url,
    wsUrl: wsUrlOf(tandem.url),
    api: new Api(tandem.url, devSignIn(tandem.url)),
    dataDir,
    close() {
      closing ??= (async () => {
        await tandem.close();
        await rm(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
