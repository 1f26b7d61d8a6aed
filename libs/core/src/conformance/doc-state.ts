import { describe, expect, it } from 'vitest';
import type { DocStateStore } from '../ports/doc-state.js';
import type { ClientSeq, OpRecord } from '../ports/op-record.js';
import { suiteFixture } from './suite-fixture.js';

export interface DocStateStoreFixture {
  store: DocStateStore;
  close(): Promise<void>;
}

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function records(from: number, to: number, clientId = 'client-a'): OpRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    version: from + i,
    op: [from + i, 'x'],
    author: 'ann',
    clientId,
    seq: from + i,
    ts: 1_700_000_000_000 + i,
  }));
}

/** The behaviours every DocStateStore adapter must have; the commit is the system's serialization point. */
export function docStateStoreConformance(name: string, factory: () => Promise<DocStateStoreFixture>): void {
  describe(`DocStateStore conformance: ${name}`, () => {
    const fixture = suiteFixture('doc state', factory);
    const store = (): DocStateStore => fixture().store;

    it('knows nothing of a document it was never given', async () => {
      const doc = uniqueId('doc');
      expect(await store().head(doc)).toBeNull();
      expect(await store().since(doc, 0)).toBeNull();
      expect(await store().lastOfClient(doc, 'client-a')).toBeNull();
    });

    it('commits at the expected head, and moves the head, ops and seqs together', async () => {
      const doc = uniqueId('doc');
      expect(await store().commit(doc, 0, records(1, 3))).toEqual({ ok: true });
      expect(await store().head(doc)).toBe(3);
      expect((await store().since(doc, 1))?.map((r) => r.version)).toEqual([2, 3]);
      expect(await store().since(doc, 3)).toEqual([]);
      expect(await store().lastOfClient(doc, 'client-a')).toEqual({ seq: 3, version: 3 });
    });

    it('refuses a commit at a head that moved, changes nothing and names the actual head', async () => {
      const doc = uniqueId('doc');
      await store().commit(doc, 0, records(1, 2));
      expect(await store().commit(doc, 1, records(2, 2, 'client-b'))).toEqual({ ok: false, head: 2 });
      expect(await store().head(doc)).toBe(2);
      expect(await store().lastOfClient(doc, 'client-b')).toBeNull();
    });

    it('lets exactly one of many concurrent commits at the same head through', async () => {
      const doc = uniqueId('doc');
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store().commit(doc, 0, records(1, 1, `client-${i}`))),
      );
      expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
      expect(await store().head(doc)).toBe(1);
    });

    it('round-trips op payloads exactly', async () => {
      const doc = uniqueId('doc');
      const [r] = records(1, 1);
      const rec = { ...(r as OpRecord), op: [{ d: 2 }, 'héllo 😀', { nested: [1, null, true] }] };
      await store().commit(doc, 0, [rec]);
      expect(await store().since(doc, 0)).toEqual([rec]);
    });

    it('is seeded from the op log only where it has no newer head', async () => {
      const doc = uniqueId('doc');
      const seqs = new Map<string, ClientSeq>([['client-z', { seq: 9, version: 4 }]]);
      await store().seed(doc, 5, records(4, 5), seqs);
      expect(await store().head(doc)).toBe(5);
      expect((await store().since(doc, 3))?.map((r) => r.version)).toEqual([4, 5]);
      expect(await store().since(doc, 1)).toBeNull();
      expect(await store().lastOfClient(doc, 'client-z')).toEqual({ seq: 9, version: 4 });
      await store().seed(doc, 2, [], new Map());
      expect(await store().head(doc)).toBe(5);
      expect(await store().commit(doc, 5, records(6, 6))).toEqual({ ok: true });
    });

    it('forgets a dropped document', async () => {
      const doc = uniqueId('doc');
      await store().commit(doc, 0, records(1, 1));
      await store().drop(doc);
      expect(await store().head(doc)).toBeNull();
    });
  });
}
