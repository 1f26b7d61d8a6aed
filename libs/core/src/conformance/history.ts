import { describe, expect, it } from 'vitest';
import type { HistoryEntry, HistoryStore } from '../ports/history.js';
import { suiteFixture } from './suite-fixture.js';

/** What a history store adapter's test gives the suite. */
export interface HistoryStoreFixture {
  store: HistoryStore;
  close(): Promise<void>;
}

let docs = 0;
const uniqueId = () => `history-doc-${process.pid}-${Date.now().toString(36)}-${docs++}`;

function entry(docId: string, fromVersion: number, over: Partial<HistoryEntry> = {}): HistoryEntry {
  return {
    docId,
    fromVersion,
    toVersion: fromVersion,
    kind: 'edit',
    userId: 'ann',
    startedAt: 1_700_000_000_000 + fromVersion * 1000,
    endedAt: 1_700_000_000_000 + fromVersion * 1000,
    ops: 1,
    inserted: 1,
    deleted: 0,
    formatted: 0,
    span: { start: 0, end: 1 },
    paths: [],
    restoredVersion: null,
    ...over,
  };
}

/** The behaviours every HistoryStore adapter must have. `factory` is called once for the whole suite. */
export function historyStoreConformance(name: string, factory: () => Promise<HistoryStoreFixture>): void {
  describe(`HistoryStore conformance: ${name}`, () => {
    const fixture = suiteFixture('history store', factory);
    const store = (): HistoryStore => fixture().store;

    it('starts a document with no entries at version -1', async () => {
      const doc = uniqueId();
      expect(await store().state(doc)).toEqual({ version: -1, latest: [] });
      expect(await store().list(doc, { limit: 10 })).toEqual({ items: [], next: null });
      expect(await store().get(doc, 0)).toBeNull();
    });

    it("saves entries and returns them as they were, with each user's newest as the state", async () => {
      const doc = uniqueId();
      const created = entry(doc, 0, { kind: 'created', ops: 0, inserted: 0, span: null });
      const ann = entry(doc, 1, {
        toVersion: 4,
        ops: 3,
        inserted: 12,
        deleted: 2,
        span: { start: 3, end: 20 },
      });
      const bob = entry(doc, 2, { userId: 'bob', span: null, paths: [['items', 2, 'title'], ['a']] });
      expect(await store().save(doc, [created, ann, bob], -1)).toBe(true);
      expect(await store().get(doc, 1)).toEqual(ann);
      expect(await store().get(doc, 2)).toEqual(bob);
      const state = await store().state(doc);
      expect(state.version).toBe(4);
      expect(state.latest.sort((a, b) => a.fromVersion - b.fromVersion)).toEqual([ann, bob]);
    });

    it('refuses a save whose expected version is not the newest, and writes none of it', async () => {
      const doc = uniqueId();
      expect(await store().save(doc, [entry(doc, 1)], -1)).toBe(true);
      expect(await store().save(doc, [entry(doc, 1, { toVersion: 2, ops: 2 }), entry(doc, 3)], -1)).toBe(
        false,
      );
      expect(await store().save(doc, [entry(doc, 1, { toVersion: 2, ops: 2 }), entry(doc, 3)], 5)).toBe(
        false,
      );
      expect((await store().state(doc)).version).toBe(1);
      expect((await store().get(doc, 1))?.ops).toBe(1);
      expect(await store().get(doc, 3)).toBeNull();
    });

    it('checks each of the saves of several documents made together on its own', async () => {
      const [a, b, c] = [uniqueId(), uniqueId(), uniqueId()];
      expect(await store().save(b, [entry(b, 1)], -1)).toBe(true);
      const results = await Promise.all([
        store().save(a, [entry(a, 1), entry(a, 2, { userId: 'bob' })], -1),
        store().save(b, [entry(b, 1, { toVersion: 3, ops: 3 })], -1),
        store().save(c, [entry(c, 1, { toVersion: 2, ops: 2 })], -1),
      ]);
      expect(results).toEqual([true, false, true]);
      expect((await store().state(a)).version).toBe(2);
      expect((await store().get(b, 1))?.ops).toBe(1);
      expect((await store().get(c, 1))?.ops).toBe(2);
    });

    it('replaces an entry with a longer one and keeps a restore target once set', async () => {
      const doc = uniqueId();
      expect(await store().save(doc, [entry(doc, 1, { kind: 'restore', restoredVersion: null })], -1)).toBe(
        true,
      );
      expect(await store().save(doc, [entry(doc, 1, { kind: 'restore', restoredVersion: 0 })], 1)).toBe(true);
      expect(await store().save(doc, [entry(doc, 1, { kind: 'restore', restoredVersion: null })], 1)).toBe(
        true,
      );
      expect((await store().get(doc, 1))?.restoredVersion).toBe(0);
      expect(await store().save(doc, [entry(doc, 2, { toVersion: 5, ops: 4 })], 1)).toBe(true);
      expect(await store().save(doc, [entry(doc, 2, { toVersion: 7, ops: 6 })], 5)).toBe(true);
      expect(await store().get(doc, 2)).toMatchObject({ toVersion: 7, ops: 6 });
    });

    it('lists newest first in pages, filtered by user and by time', async () => {
      const doc = uniqueId();
      const all = Array.from({ length: 7 }, (_, i) =>
        entry(doc, i + 1, { userId: i % 2 === 0 ? 'ann' : 'bob' }),
      );
      expect(await store().save(doc, all, -1)).toBe(true);
      const first = await store().list(doc, { limit: 3 });
      expect(first.items.map((e) => e.fromVersion)).toEqual([7, 6, 5]);
      expect(first.next).toBe(5);
      const second = await store().list(doc, { limit: 3, before: 5 });
      expect(second.items.map((e) => e.fromVersion)).toEqual([4, 3, 2]);
      const last = await store().list(doc, { limit: 3, before: 2 });
      expect(last).toEqual({ items: [entry(doc, 1, { userId: 'ann' })], next: null });
      const bob = await store().list(doc, { limit: 10, userId: 'bob' });
      expect(bob.items.map((e) => e.fromVersion)).toEqual([6, 4, 2]);
      const t = (v: number) => 1_700_000_000_000 + v * 1000;
      const window = await store().list(doc, { limit: 10, since: t(3), until: t(5) });
      expect(window.items.map((e) => e.fromVersion)).toEqual([5, 4, 3]);
      const exact = await store().list(doc, { limit: 3, since: t(1) });
      expect(exact.next).toBe(5);
    });

    it('counts an entry that overlaps the time range, not only one inside it', async () => {
      const doc = uniqueId();
      const long = entry(doc, 1, { startedAt: 1000, endedAt: 9000, toVersion: 9, ops: 9 });
      expect(await store().save(doc, [long], -1)).toBe(true);
      expect((await store().list(doc, { limit: 5, since: 4000, until: 5000 })).items).toEqual([long]);
      expect((await store().list(doc, { limit: 5, since: 9001 })).items).toEqual([]);
      expect((await store().list(doc, { limit: 5, until: 999 })).items).toEqual([]);
    });

    it('purges a document and only that one', async () => {
      const doc = uniqueId();
      const other = uniqueId();
      await store().save(doc, [entry(doc, 1)], -1);
      await store().save(other, [entry(other, 1)], -1);
      await store().purge(doc);
      expect(await store().state(doc)).toEqual({ version: -1, latest: [] });
      expect((await store().state(other)).version).toBe(1);
    });
  });
}
