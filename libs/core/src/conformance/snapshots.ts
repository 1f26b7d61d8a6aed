import { describe, expect, it } from 'vitest';
import type { SnapshotStore, StoredSnapshot } from '../ports/snapshots.js';
import { suiteFixture } from './suite-fixture.js';

/** What a snapshot store adapter's test gives the suite: a ready store, and how to release it. */
export interface SnapshotStoreFixture {
  store: SnapshotStore;
  /**
   * Changes the stored data of the snapshot at (docId, version) behind the store's back, as
   * a faulty disk or a stray write would, leaving the checksum the store kept for it as it
   * was. The corrupted data must still be well-formed where the store can tell (valid JSON
   * naming the same document and version), so that only the checksum can catch it.
   */
  corrupt(docId: string, version: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The behaviours every SnapshotStore adapter must have. `factory` is called once for the
 * whole suite; each test works on documents of its own.
 */
export function snapshotStoreConformance(name: string, factory: () => Promise<SnapshotStoreFixture>): void {
  describe(`SnapshotStore conformance: ${name}`, () => {
    const fixture = suiteFixture('snapshot store', factory);
    const store = (): SnapshotStore => fixture().store;

    it('has no snapshot of a document it was never given', async () => {
      const doc = uniqueId();
      expect(await store().latest(doc)).toBeNull();
      expect(await store().latest(doc, 10)).toBeNull();
    });

    it('returns the newest snapshot when no maxVersion is given', async () => {
      const doc = uniqueId();
      // Stored out of order: "newest" is by version, not by when it was put.
      await store().put(text(doc, 20, 'twenty'));
      await store().put(text(doc, 0, ''));
      await store().put(text(doc, 10, 'ten'));
      expect(await store().latest(doc)).toEqual(text(doc, 20, 'twenty'));
    });

    it('returns the newest snapshot at or below maxVersion', async () => {
      const doc = uniqueId();
      for (const version of [0, 10, 20]) await store().put(text(doc, version, `v${version}`));
      expect((await store().latest(doc, 20))?.version).toBe(20);
      expect((await store().latest(doc, 19))?.version).toBe(10);
      expect((await store().latest(doc, 10))?.version).toBe(10);
      expect((await store().latest(doc, 9))?.version).toBe(0);
      expect((await store().latest(doc, 0))?.version).toBe(0);
      expect((await store().latest(doc, 1_000_000))?.version).toBe(20);
    });

    it('returns null when every snapshot is newer than maxVersion', async () => {
      const doc = uniqueId();
      await store().put(text(doc, 5, 'five'));
      expect(await store().latest(doc, 4)).toBeNull();
    });

    it('replaces a snapshot put again at the same version', async () => {
      const doc = uniqueId();
      await store().put(text(doc, 3, 'first'));
      await store().put(text(doc, 3, 'second'));
      expect(await store().latest(doc)).toEqual(text(doc, 3, 'second'));
    });

    it('returns the data of every document type exactly', async () => {
      const plain = text(uniqueId(), 1, 'héllo 👋🏽\n"quoted" \\ nul:\u0000 日本語');
      const rich: StoredSnapshot = {
        docId: uniqueId(),
        version: 2,
        type: 'rich-text',
        data: [{ insert: 'Title ✨', attributes: { header: 1 } }, { insert: '\nbody\n' }],
      };
      const json: StoredSnapshot = {
        docId: uniqueId(),
        version: 3,
        type: 'json1',
        data: {
          board: { cards: [{ title: 'Plan', done: false, n: 1.25, tags: [] }], empty: {}, none: null },
        },
      };
      for (const snapshot of [plain, rich, json]) {
        await store().put(snapshot);
        expect(await store().latest(snapshot.docId)).toEqual(snapshot);
      }
      expect((await store().latest(plain.docId))?.data).toBe(plain.data);
    });

    it('keeps documents apart', async () => {
      const a = uniqueId();
      const b = uniqueId();
      await Promise.all([store().put(text(a, 1, 'a')), store().put(text(b, 2, 'b'))]);
      expect(await store().latest(a)).toEqual(text(a, 1, 'a'));
      expect(await store().latest(b)).toEqual(text(b, 2, 'b'));
    });

    it('purges every snapshot of one document and nothing else', async () => {
      const doc = uniqueId();
      const other = uniqueId();
      await store().put(text(doc, 1, 'one'));
      await store().put(text(doc, 2, 'two'));
      await store().put(text(other, 1, 'other'));
      await store().purge(doc);
      expect(await store().latest(doc)).toBeNull();
      expect(await store().latest(other)).toEqual(text(other, 1, 'other'));
      await store().purge(uniqueId());
    });

    describe('checksums', () => {
      it('skips a snapshot whose data no longer matches its checksum, in favour of the one before', async () => {
        const doc = uniqueId();
        for (const version of [0, 10, 20]) await store().put(text(doc, version, `v${version}`));
        await fixture().corrupt(doc, 20);
        expect(await store().latest(doc)).toEqual(text(doc, 10, 'v10'));
        expect(await store().latest(doc, 20)).toEqual(text(doc, 10, 'v10'));
        expect(await store().latest(doc, 15)).toEqual(text(doc, 10, 'v10'));
      });

      it('skips every corrupt snapshot down to the newest intact one', async () => {
        const doc = uniqueId();
        for (const version of [0, 10, 20, 30]) await store().put(text(doc, version, `v${version}`));
        await fixture().corrupt(doc, 30);
        await fixture().corrupt(doc, 20);
        await fixture().corrupt(doc, 10);
        expect(await store().latest(doc)).toEqual(text(doc, 0, 'v0'));
        expect(await store().latest(doc, 25)).toEqual(text(doc, 0, 'v0'));
      });

      it('checks the data of every document type', async () => {
        const rich: StoredSnapshot = {
          docId: uniqueId(),
          version: 4,
          type: 'rich-text',
          data: [{ insert: 'bold', attributes: { bold: true } }, { insert: '\n' }],
        };
        const json: StoredSnapshot = { docId: uniqueId(), version: 4, type: 'json1', data: { a: [1, 2] } };
        for (const snapshot of [rich, json]) {
          const previous = { ...snapshot, version: 2 };
          await store().put(previous);
          await store().put(snapshot);
          await fixture().corrupt(snapshot.docId, 4);
          expect(await store().latest(snapshot.docId)).toEqual(previous);
        }
      });

      it('has no snapshot when every one is corrupt, and is whole again once one is put again', async () => {
        const doc = uniqueId();
        await store().put(text(doc, 0, ''));
        await store().put(text(doc, 5, 'five'));
        await fixture().corrupt(doc, 0);
        await fixture().corrupt(doc, 5);
        expect(await store().latest(doc)).toBeNull();
        expect(await store().latest(doc, 3)).toBeNull();
        await store().put(text(doc, 5, 'five'));
        expect(await store().latest(doc)).toEqual(text(doc, 5, 'five'));
        expect(await store().latest(doc, 4)).toBeNull();
      });

      it('keeps a corrupt snapshot of one document from hiding another', async () => {
        const doc = uniqueId();
        const other = uniqueId();
        await store().put(text(doc, 1, 'one'));
        await store().put(text(other, 1, 'other'));
        await fixture().corrupt(doc, 1);
        expect(await store().latest(doc)).toBeNull();
        expect(await store().latest(other)).toEqual(text(other, 1, 'other'));
      });
    });
  });
}

let counter = 0;

function uniqueId(): string {
  counter += 1;
  return `doc-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

function text(docId: string, version: number, data: string): StoredSnapshot {
  return { docId, version, type: 'text', data };
}
