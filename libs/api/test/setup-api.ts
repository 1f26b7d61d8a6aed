import type { PGlite } from '@electric-sql/pglite';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { ApiDeps } from '../src/index.js';
import { openTestDb, startApi, type TestApi } from './harness.js';

/**
 * Registers the hooks of a test file: one PGlite for the file, and a fresh API (with empty
 * tables) handed to `use` before each test.
 */
export function useApi(
  use: (api: TestApi) => void,
  options: Partial<Pick<ApiDeps, 'devSignIn' | 'ready' | 'bodyLimit'>> = {},
): void {
  let db: PGlite;
  let current: TestApi | undefined;
  // Opening PGlite takes seconds on a loaded machine: more than the default hook timeout.
  beforeAll(async () => {
    db = await openTestDb();
  }, 60_000);
  afterAll(async () => {
    await db.close();
  });
  beforeEach(async () => {
    current = await startApi(db, options);
    use(current);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
}
