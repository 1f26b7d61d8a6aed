import type { OpRecord } from '@tandem/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTestLog } from './cassandra.js';

let fixture: Awaited<ReturnType<typeof openTestLog>>;
beforeAll(async () => {
  fixture = await openTestLog();
}, 120_000);
afterAll(() => fixture?.close());

it('stores one append larger than a Cassandra mutation may be (16 MiB): 120 ops of 150 KiB', async () => {
  const doc = `doc-large-${Date.now().toString(36)}`;
  const text = 'é'.repeat(75 * 1024);
  const records: OpRecord[] = Array.from({ length: 120 }, (_, i) => ({
    version: i + 1,
    op: [0, `${i}${text}`],
    author: 'user-1',
    clientId: 'client-large',
    seq: i + 1,
    ts: i,
  }));
  await fixture.store.append(doc, records);
  expect(await fixture.store.read(doc, 1)).toEqual(records);
  expect(await fixture.store.lastOfClient(doc, 'client-large')).toEqual({ seq: 120, version: 120 });
}, 60_000);
