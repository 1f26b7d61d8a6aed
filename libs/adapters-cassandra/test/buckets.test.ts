import type { OpRecord } from '@tandem/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CassandraOpLog } from '../src/index.js';
import { openTestLog } from './cassandra.js';

let counter = 0;
const docId = () => `doc-buckets-${Date.now().toString(36)}-${++counter}`;

function ops(from: number, to: number, fields: Partial<OpRecord> = {}): OpRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    version: from + i,
    op: [from + i, 'x'],
    author: 'user-1',
    clientId: 'client-buckets',
    seq: from + i,
    ts: 1_700_000_000_000 + from + i,
    ...fields,
  }));
}

const versions = (records: OpRecord[]) => records.map((r) => r.version);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('CassandraOpLog with 10 versions per bucket', () => {
  let fixture: Awaited<ReturnType<typeof openTestLog>>;
  const log = () => fixture.store;

  beforeAll(async () => {
    fixture = await openTestLog({ bucketSize: 10 });
  }, 120_000);
  afterAll(() => fixture?.close());

  it('stores each bucket in its own partition', async () => {
    const doc = docId();
    await log().append(doc, ops(1, 25));
    const result = await fixture.client.execute(
      'SELECT bucket, version FROM op_log WHERE doc_id = ? AND bucket IN (0, 1, 2)',
      [doc],
      { prepare: true },
    );
    const byBucket = new Map<number, number[]>();
    for (const row of result.rows) {
      const bucket = Number(row.get('bucket'));
      byBucket.set(bucket, [...(byBucket.get(bucket) ?? []), Number(row.get('version'))]);
    }
    expect(byBucket.get(0)).toEqual(range(1, 9));
    expect(byBucket.get(1)).toEqual(range(10, 19));
    expect(byBucket.get(2)).toEqual(range(20, 25));
  });

  it('reads ranges that start, end and cross at bucket boundaries', async () => {
    const doc = docId();
    // Batches that straddle boundaries, one of them written before the ones it follows.
    await log().append(doc, ops(28, 57));
    await log().append(doc, ops(1, 27));
    await log().append(doc, ops(58, 61));
    const cases: [number, number | undefined, number[]][] = [
      [1, undefined, range(1, 61)],
      [0, 9, range(1, 9)],
      [9, 10, [9, 10]],
      [10, 10, [10]],
      [19, 41, range(19, 41)],
      [30, 39, range(30, 39)],
      [55, undefined, range(55, 61)],
      [60, 500, [60, 61]],
      [62, undefined, []],
      [40, 39, []],
    ];
    for (const [from, to, expected] of cases)
      expect(versions(await log().read(doc, from, to))).toEqual(expected);
    expect(await log().latestVersion(doc)).toBe(61);
  });

  it('pages through a range longer than one page of the driver', async () => {
    const doc = docId();
    const records = ops(1, 12_345);
    for (let i = 0; i < records.length; i += 500) await log().append(doc, records.slice(i, i + 500));
    expect(await log().read(doc, 1)).toEqual(records);
  }, 120_000);

  it('skips a newest bucket that was registered by an append that failed before writing', async () => {
    const doc = docId();
    await log().append(doc, ops(1, 14));
    await fixture.client.execute('INSERT INTO op_log_buckets (doc_id, bucket) VALUES (?, ?)', [doc, 7], {
      prepare: true,
    });
    expect(await log().latestVersion(doc)).toBe(14);
    expect(versions(await log().read(doc, 12))).toEqual([12, 13, 14]);
  });

  it("finds a client's newest op many buckets back, and a fork across buckets", async () => {
    const doc = docId();
    await log().append(doc, ops(1, 14, { clientId: 'client-early' }));
    await log().append(doc, ops(15, 300, { clientId: 'client-late' }));
    expect(await log().lastOfClient(doc, 'client-early')).toEqual({ seq: 14, version: 14 });
    expect(await log().lastOfClient(doc, 'client-late')).toEqual({ seq: 300, version: 300 });
    expect(await log().lastOfClient(doc, 'client-never')).toBeNull();
    await expect(log().append(doc, ops(299, 305, { clientId: 'client-other' }))).rejects.toMatchObject({
      code: 'INTERNAL',
    });
    expect(versions(await log().read(doc, 298))).toEqual(range(298, 305));
    expect((await log().read(doc, 299, 300)).map((r) => r.clientId)).toEqual(['client-late', 'client-late']);
  });

  it('purges every bucket of a document', async () => {
    const doc = docId();
    await log().append(doc, ops(1, 45));
    await log().purge(doc);
    expect(await log().latestVersion(doc)).toBe(0);
    expect(await log().read(doc, 0)).toEqual([]);
    const left = await fixture.client.execute(
      'SELECT version FROM op_log WHERE doc_id = ? AND bucket IN (0, 1, 2, 3, 4)',
      [doc],
      { prepare: true },
    );
    expect(left.rowLength).toBe(0);
  });

  it('refuses to open the keyspace with another bucket size', async () => {
    await expect(CassandraOpLog.open(fixture.client, { bucketSize: 10_000 })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
    await expect(CassandraOpLog.open(fixture.client, { bucketSize: 10 })).resolves.toBeInstanceOf(
      CassandraOpLog,
    );
  });
});
