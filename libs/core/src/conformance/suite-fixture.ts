import { afterAll, beforeAll } from 'vitest';

/**
 * Starts a suite's fixture once before its tests and closes it after them (starting a
 * store can take seconds); returns the accessor its tests call.
 */
export function suiteFixture<F extends { close(): Promise<void> }>(
  what: string,
  factory: () => Promise<F>,
  startTimeoutMs?: number,
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
