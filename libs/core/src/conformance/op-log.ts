import { describe, expect, it } from 'vitest';
import type { OpLog } from '../ports/op-log.js';
import type { OpRecord } from '../ports/op-record.js';
import { suiteFixture } from './suite-fixture.js';

/** What an op log adapter's test gives the suite: a ready store, and how to release it. */
export interface OpLogFixture {
  store: OpLog;
  close(): Promise<void>;
}

/**
 * The behaviours every OpLog adapter must have. `factory` is called once for the whole
 * suite (starting a store can take seconds); each test works on documents and clients of
 * its own, so the store may be shared with other suites and need not start empty.
 */
export function opLogConformance(name: string, factory: () => Promise<OpLogFixture>): void {
  describe(`OpLog conformance: ${name}`, () => {
    const fixture = suiteFixture('op log', factory);
    const log = (): OpLog => fixture().store;

    it('knows nothing of a document that has no ops', async () => {
      const doc = uniqueId('doc');
      expect(await log().latestVersion(doc)).toBe(0);
      expect(await log().read(doc, 0)).toEqual([]);
      expect(await log().lastOfClient(doc, uniqueId('client'))).toBeNull();
    });

    it('reads back what was appended, in version order, with numbers as numbers', async () => {
      const doc = uniqueId('doc');
      const records = ops(1, 5);
      await log().append(doc, records);
      const read = await log().read(doc, 1);
      expect(read).toEqual(records);
      for (const record of read) {
        expect(typeof record.version).toBe('number');
        expect(typeof record.seq).toBe('number');
        expect(typeof record.ts).toBe('number');
      }
      expect(await log().latestVersion(doc)).toBe(5);
    });

    it('stores a batch of hundreds of ops in one append', async () => {
      const doc = uniqueId('doc');
      const records = ops(1, 500);
      await log().append(doc, records);
      expect(await log().read(doc, 1)).toEqual(records);
      expect(await log().latestVersion(doc)).toBe(500);
    });

    it('returns a text op exactly as it was written, emoji, accents, quotes and NUL included', async () => {
      const doc = uniqueId('doc');
      const texts = [
        'héllo 👋🏽 wörld',
        'a "quoted" \\ back\\slash\n\ttab',
        'nul:\u0000:end',
        '日本語テキスト',
        '',
      ];
      const records = texts.map((text, i) => op(i + 1, { op: [i, text] }));
      records.push(op(texts.length + 1, { op: 'a plain 👩‍👩‍👧 string op' }));
      await log().append(doc, records);
      const read = await log().read(doc, 1);
      expect(read).toEqual(records);
      for (const [i, text] of texts.entries())
        expect((read[i]?.op as [number, string] | undefined)?.[1]).toBe(text);
      expect(read[texts.length]?.op).toBe('a plain 👩‍👩‍👧 string op');
    });

    it('returns json1 and rich-text ops with their structure intact', async () => {
      const doc = uniqueId('doc');
      const json1 = [
        'board',
        'cards',
        0,
        { i: { title: 'Plan 🗓', tags: ['a', 'b'], done: false, n: 1.5, x: null } },
      ];
      const delta = [{ retain: 3 }, { insert: 'bold ✨', attributes: { bold: true } }, { delete: 2 }];
      await log().append(doc, [op(1, { op: json1 }), op(2, { op: delta }), op(3, { op: null })]);
      const read = await log().read(doc, 1);
      expect(read.map((r) => r.op)).toEqual([json1, delta, null]);
    });

    it('keeps the first write of a version when the same ops are appended again (a repair)', async () => {
      const doc = uniqueId('doc');
      const first = ops(1, 3);
      await log().append(doc, first);
      await log().append(doc, first);
      await log().append(doc, [...ops(2, 3), op(4)]);
      const read = await log().read(doc, 1);
      expect(read.map((r) => r.version)).toEqual([1, 2, 3, 4]);
      expect(read.slice(0, 3)).toEqual(first);
      expect(await log().latestVersion(doc)).toBe(4);
    });

    it('refuses a different op at a stored version as a fork, keeping the stored one and storing the rest', async () => {
      const doc = uniqueId('doc');
      const first = ops(1, 2);
      await log().append(doc, first);
      await expect(log().append(doc, [op(2, { clientId: 'someone-else' }), op(3)])).rejects.toMatchObject({
        code: 'INTERNAL',
      });
      const read = await log().read(doc, 1);
      expect(read.slice(0, 2)).toEqual(first);
      expect(read.map((r) => r.version)).toEqual([1, 2, 3]);
    });

    it('does nothing on an empty append', async () => {
      const doc = uniqueId('doc');
      await log().append(doc, []);
      expect(await log().latestVersion(doc)).toBe(0);
    });

    it('reads the inclusive range from..to, and up to the latest when to is omitted', async () => {
      const doc = uniqueId('doc');
      await log().append(doc, ops(1, 10));
      const versions = async (from: number, to?: number) =>
        (await log().read(doc, from, to)).map((r) => r.version);
      expect(await versions(3, 6)).toEqual([3, 4, 5, 6]);
      expect(await versions(7)).toEqual([7, 8, 9, 10]);
      expect(await versions(0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await versions(5, 5)).toEqual([5]);
      expect(await versions(9, 50)).toEqual([9, 10]);
      expect(await versions(11)).toEqual([]);
      expect(await versions(6, 3)).toEqual([]);
    });

    it('reads in version order whatever order the batches arrived in', async () => {
      const doc = uniqueId('doc');
      await log().append(doc, ops(4, 6));
      await log().append(doc, ops(1, 3));
      expect((await log().read(doc, 1)).map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('keeps documents apart', async () => {
      const a = uniqueId('doc');
      const b = uniqueId('doc');
      await Promise.all([log().append(a, ops(1, 3)), log().append(b, ops(1, 7))]);
      expect(await log().latestVersion(a)).toBe(3);
      expect(await log().latestVersion(b)).toBe(7);
      expect(await log().read(a, 1)).toHaveLength(3);
    });

    it("answers lastOfClient with each client's newest seq and its version", async () => {
      const doc = uniqueId('doc');
      const alice = uniqueId('alice');
      const bob = uniqueId('bob');
      const carol = uniqueId('carol');
      await log().append(doc, [
        op(1, { clientId: alice, seq: 1 }),
        op(2, { clientId: bob, seq: 1 }),
        op(3, { clientId: alice, seq: 2 }),
        op(4, { clientId: bob, seq: 2 }),
      ]);
      await log().append(doc, [op(5, { clientId: bob, seq: 3 }), op(6, { clientId: alice, seq: 3 })]);
      expect(await log().lastOfClient(doc, alice)).toEqual({ seq: 3, version: 6 });
      expect(await log().lastOfClient(doc, bob)).toEqual({ seq: 3, version: 5 });
      expect(await log().lastOfClient(doc, carol)).toBeNull();
      // The same client on another document has its own history.
      expect(await log().lastOfClient(uniqueId('doc'), alice)).toBeNull();
    });

    it('orders lastOfClient by seq, not by when or in which batch the op was stored', async () => {
      const doc = uniqueId('doc');
      const client = uniqueId('client');
      // Seqs of one client may skip (its refused ops leave holes), and a repair may store a later batch first.
      await log().append(doc, [op(3, { clientId: client, seq: 9, ts: 1_000 })]);
      await log().append(doc, [
        op(1, { clientId: client, seq: 4, ts: 5_000 }),
        op(2, { clientId: client, seq: 5 }),
      ]);
      expect(await log().lastOfClient(doc, client)).toEqual({ seq: 9, version: 3 });
    });

    it('purges every op of one document and nothing else', async () => {
      const doc = uniqueId('doc');
      const other = uniqueId('doc');
      const client = uniqueId('client');
      await log().append(doc, ops(1, 4, { clientId: client }));
      await log().append(other, ops(1, 2, { clientId: client }));
      await log().purge(doc);
      expect(await log().latestVersion(doc)).toBe(0);
      expect(await log().read(doc, 0)).toEqual([]);
      expect(await log().lastOfClient(doc, client)).toBeNull();
      expect(await log().latestVersion(other)).toBe(2);
      expect(await log().lastOfClient(other, client)).toEqual({ seq: 2, version: 2 });
      await log().purge(uniqueId('doc'));
    });
  });
}

let counter = 0;

/** An id no other test uses, valid as a document id and as a client id (8-64 of A-Z a-z 0-9 _ -). */
function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

const CLIENT = 'client-conformance';

function op(version: number, fields: Partial<OpRecord> = {}): OpRecord {
  return {
    version,
    op: [version, `insert ${version}`],
    author: 'user-1',
    clientId: CLIENT,
    seq: version,
    ts: 1_700_000_000_000 + version,
    ...fields,
  };
}

function ops(from: number, to: number, fields: Partial<OpRecord> = {}): OpRecord[] {
  const records: OpRecord[] = [];
  for (let version = from; version <= to; version += 1) records.push(op(version, fields));
  return records;
}
