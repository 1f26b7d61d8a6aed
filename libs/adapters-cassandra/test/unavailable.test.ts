import type { OpRecord } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import type { Client } from 'cassandra-driver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraOpLog, connectCassandra, migrateCassandra } from '../src/index.js';
import { dropKeyspace, testOptions } from './cassandra.js';
import { TcpProxy } from './tcp-proxy.js';

const REQUEST_TIMEOUT_MS = 1_000;

function op(version: number): OpRecord {
  return {
    version,
    op: [version, 'x'],
    author: 'user-1',
    clientId: 'client-down',
    seq: version,
    ts: version,
  };
}

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => new Error('expected a failure, got success'),
    (err: unknown) => err,
  );
  return { error, ms: Date.now() - started };
}

/** Retries `fn` until it succeeds (the driver reconnects every 0.5 to 5 s). */
async function eventually<T>(fn: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('CassandraOpLog when Cassandra goes away', () => {
  const options = testOptions();
  let proxy: TcpProxy;
  let client: Client;
  let log: CassandraOpLog;

  beforeAll(async () => {
    await migrateCassandra(options);
    const [host = '', port = ''] = (options.contactPoints[0] ?? '').split(':');
    proxy = new TcpProxy(host, Number(port));
    await proxy.start();
    client = await connectCassandra({
      ...options,
      contactPoints: [proxy.address],
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    });
    log = await CassandraOpLog.open(client);
  }, 120_000);

  afterAll(async () => {
    await client?.shutdown();
    await proxy?.stop();
    await dropKeyspace(options);
  });

  it('refuses appends and reads with a retryable error at once while it is down, and appends again when it is back', async () => {
    const doc = `doc-down-${Date.now().toString(36)}`;
    await log.append(doc, [op(1), op(2)]);
    await proxy.stop();

    const append = await failure(log.append(doc, [op(3)]));
    expect(append.error).toBeInstanceOf(TandemError);
    expect(append.error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(append.ms).toBeLessThan(3_000);
    const read = await failure(log.read(doc, 1));
    expect(read.error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(read.ms).toBeLessThan(3_000);

    await proxy.start();
    await eventually(() => log.append(doc, [op(3)]));
    expect((await log.read(doc, 1)).map((r) => r.version)).toEqual([1, 2, 3]);
  }, 60_000);

  it('refuses an append within a few request timeouts when Cassandra stops answering', async () => {
    const doc = `doc-hung-${Date.now().toString(36)}`;
    await eventually(() => log.append(doc, [op(1)]));
    proxy.hang();

    const append = await failure(log.append(doc, [op(2)]));
    expect(append.error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(append.ms).toBeLessThan(4 * REQUEST_TIMEOUT_MS);

    await proxy.stop();
    await proxy.start();
    await eventually(() => log.append(doc, [op(2)]));
    expect(await log.latestVersion(doc)).toBe(2);
  }, 60_000);
});
