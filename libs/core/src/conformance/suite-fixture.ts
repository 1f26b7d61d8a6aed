import { afterAll, beforeAll } from 'vitest';

/**
 * Starts a suite's fixture once before its tests and closes it after them (starting a
 * store can take seconds); returns the accessor its tests call.
 */
export function suiteFixture<F extends { close(): Promise<void> }>(
  what: string,
  factory: () => Promise<F>,
  // Starting a store (a PGlite database, a connection to a server) takes seconds, and more
  // on a machine busy with other suites: a minute, not vitest's 10 s hook default.
  startTimeoutMs = 60_000,
): () => F {
  let fixture: F | undefined;
  beforeAll(async () => {
    fixture = await factory();
  }, startTimeoutMs);
  afterAll(async () => {
    await fixture?.close();
  });
  return () => {
    if (!fixture) throw new Error(`the ${what} fixture did not start`);
    return fixture;
  };
}
