import { textType } from '@tandem/ot';
import { describe, expect, it } from 'vitest';
import { PresenceHub } from '../engine/presence-hub.js';
import type { DocBroadcast, FanOut } from '../ports/fan-out.js';
import type { OpRecord } from '../ports/op-record.js';
import type { PresenceEntry, PresenceStore } from '../ports/presence.js';
import { suiteFixture } from './suite-fixture.js';

export interface PresenceStoreFixture {
  store: PresenceStore;
  /** A second connection to the same presence (another gateway's view); the store itself if omitted. */
  other?: PresenceStore;
  close(): Promise<void>;
}

let counter = 0;
const uniqueId = () => `doc-${Date.now().toString(36)}-${(counter++).toString(36)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const entry = (docId: string, clientId: string, at: number): PresenceEntry => ({
  docId,
  clientId,
  userId: `user-${clientId}`,
  name: clientId,
  selection: { anchor: at, head: at },
  version: 0,
});

/** Who is where in a batch turn's entries (or the turn's answer), sorted by client. */
const where = (turn: PresenceEntry[] | string) =>
  typeof turn === 'string' ? turn : turn.map((e) => [e.clientId, e.selection?.anchor]).sort();

/** A turn no other process could take during a test. */
const LONG = 60_000;

/** A fan-out that keeps what is published, and the cursors of each presence batch in it. */
function recordingFanOut() {
  const published: DocBroadcast[] = [];
  const fanOut: FanOut = {
    publish: async (_docId, message) => void published.push(message),
    subscribe: () => () => {},
  };
  const users = () =>
    published.map((m) =>
      m.kind === 'presence' ? m.batch.users.map((u) => [u.clientId, u.selection?.anchor]).sort() : [],
    );
  return { published, fanOut, users };
}

/** The behaviours every PresenceStore adapter must have. */
export function presenceStoreConformance(name: string, factory: () => Promise<PresenceStoreFixture>): void {
  describe(`PresenceStore conformance: ${name}`, () => {
    const fixture = suiteFixture('presence', factory);
    const store = (): PresenceStore => fixture().store;
    const other = (): PresenceStore => fixture().other ?? fixture().store;

    it('keeps the latest entry per client of a document', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 10_000);
      await store().set(entry(doc, 'a', 5), 10_000);
      await store().set(entry(doc, 'b', 2), 10_000);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([
        ['a', 5],
        ['b', 2],
      ]);
    });

    it('drops an entry when it is removed or its time is up', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 10_000);
      await store().set(entry(doc, 'b', 1), 100);
      await store().remove(doc, 'a');
      await sleep(1200);
      expect(await store().takeBatch(doc, 'p1', LONG)).toEqual([]);
    });

    it('gives each change to one turn: with nothing new since, the answer is unchanged', async () => {
      const doc = uniqueId();
      expect(await store().takeBatch(doc, 'p1', LONG)).toBe('unchanged');
      await store().set(entry(doc, 'a', 1), 10_000);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([['a', 1]]);
      expect(await store().takeBatch(doc, 'p1', LONG)).toBe('unchanged');
      expect(await other().takeBatch(doc, 'p2', LONG)).toBe('unchanged');
    });

    it('gives the turn to one process per interval, and again to the one that holds it', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 10_000);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([['a', 1]]);
      await other().set(entry(doc, 'b', 2), 10_000);
      expect(await other().takeBatch(doc, 'p2', LONG)).toBe('busy');
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
    });

    it('gives the turn to another process once the interval is over', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 10_000);
      expect(where(await store().takeBatch(doc, 'p1', 100))).toEqual([['a', 1]]);
      await other().set(entry(doc, 'b', 2), 10_000);
      await sleep(300);
      expect(where(await other().takeBatch(doc, 'p2', 100))).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
    });

    it('counts a removal as a change, and removing a client with no entry as none', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 10_000);
      await store().set(entry(doc, 'b', 2), 10_000);
      await store().takeBatch(doc, 'p1', LONG);
      await store().remove(doc, 'nobody');
      expect(await store().takeBatch(doc, 'p1', LONG)).toBe('unchanged');
      await store().remove(doc, 'a');
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([['b', 2]]);
      // The last one leaving is a batch too: the one that tells everyone.
      await store().remove(doc, 'b');
      expect(await store().takeBatch(doc, 'p1', LONG)).toEqual([]);
    });

    it('does not count an expiry as a change', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 100);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([['a', 1]]);
      await sleep(300);
      expect(await store().takeBatch(doc, 'p1', LONG)).toBe('unchanged');
    });

    it('counts a set identical to the live entry as no change: it only extends the entry’s life', async () => {
      const doc = uniqueId();
      expect(await store().set(entry(doc, 'a', 1), 500)).toBe(true);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([['a', 1]]);
      expect(await other().set(entry(doc, 'a', 1), 10_000)).toBe(false);
      expect(await store().takeBatch(doc, 'p1', LONG)).toBe('unchanged');
      expect(await other().takeBatch(doc, 'p2', LONG)).toBe('unchanged');
      await sleep(1000);
      await store().set(entry(doc, 'b', 2), 10_000);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([
        ['a', 1],
        ['b', 2],
      ]);
    });

    it('counts a set identical to an entry that has expired as a change', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 100);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([['a', 1]]);
      await sleep(300);
      expect(await store().set(entry(doc, 'a', 1), 10_000)).toBe(true);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([['a', 1]]);
    });

    it('counts a set that differs from the live entry in any one field as a change', async () => {
      const doc = uniqueId();
      let last = entry(doc, 'a', 1);
      await store().set(last, 10_000);
      await store().takeBatch(doc, 'p1', LONG);
      const edits: Partial<PresenceEntry>[] = [
        { version: 1 },
        { selection: { anchor: 1, head: 2 } },
        { name: 'renamed' },
        { userId: 'someone-else' },
        { selection: null },
      ];
      for (const edit of edits) {
        last = { ...last, ...edit };
        expect(await store().set(last, 10_000)).toBe(true);
        expect(await store().takeBatch(doc, 'p1', LONG)).toEqual([last]);
      }
    });

    it('counts a set that restates the live entry as no change, and keeps the new entry', async () => {
      const doc = uniqueId();
      const first = entry(doc, 'a', 1);
      await store().set(first, 10_000);
      await store().takeBatch(doc, 'p1', LONG);
      // The same cursor after someone inserted three characters before it, say.
      const carried = { ...entry(doc, 'a', 4), version: 1 };
      expect(await other().set(carried, 10_000, first)).toBe(false);
      expect(await store().takeBatch(doc, 'p1', LONG)).toBe('unchanged');
      await store().set(entry(doc, 'b', 2), 10_000);
      expect(await store().takeBatch(doc, 'p1', LONG)).toEqual(
        expect.arrayContaining([carried, entry(doc, 'b', 2)]),
      );
      // `first` is no longer the live entry: what claims to restate it is a change.
      expect(await store().set({ ...entry(doc, 'a', 7), version: 2 }, 10_000, first)).toBe(true);
      expect(where(await store().takeBatch(doc, 'p1', LONG))).toEqual([
        ['a', 7],
        ['b', 2],
      ]);
    });

    it('lets a presence hub send no batch for a cursor restated where the ops since have carried it', async () => {
      const doc = uniqueId();
      const { published, fanOut, users } = recordingFanOut();
      const ops: OpRecord[] = [];
      const commit = (clientId: string, op: unknown) =>
        ops.push({ version: ops.length + 1, op, author: `user-${clientId}`, clientId, seq: 1, ts: 0 });
      const docs = {
        typeOf: async () => textType,
        opsSince: async (_docId: string, after: number, to = ops.length) =>
          ops.filter((r) => r.version > after && r.version <= to),
      };
      const hub = new PresenceHub({ store: store(), fanOut, docs }, { intervalMs: LONG });
      const at = (anchor: number) => ({ ...entry(doc, 'a', anchor), version: ops.length });
      try {
        await hub.update(at(5));
        await hub.flush();
        expect(published).toHaveLength(1);
        // b inserts before a's cursor; a restates it where that moved it.
        commit('b', ['>> ']);
        await hub.update(at(8));
        await hub.flush();
        // a types at its cursor, which pushes the cursor along.
        commit('a', [8, 'xy']);
        await hub.update(at(10));
        await hub.flush();
        expect(published).toHaveLength(1);
        await hub.update(at(9));
        await hub.flush();
        expect(users()).toEqual([[['a', 5]], [['a', 9]]]);
      } finally {
        hub.close();
      }
    });

    it('lets two presence hubs send one batch between them, with both hubs’ changes', async () => {
      const doc = uniqueId();
      const { published, fanOut, users } = recordingFanOut();
      const docs = { typeOf: async () => textType, opsSince: async () => [] };
      // Flushed by hand: the interval only decides how long a turn is held.
      const hubA = new PresenceHub({ store: store(), fanOut, docs }, { intervalMs: LONG });
      const hubB = new PresenceHub({ store: other(), fanOut, docs }, { intervalMs: LONG });
      try {
        await hubA.update(entry(doc, 'a', 1));
        await hubB.update(entry(doc, 'b', 2));
        // A asks first, so A holds the turn for the rest of the test; B finds nothing left to send.
        await hubA.flush();
        await hubB.flush();
        expect(users()).toEqual([
          [
            ['a', 1],
            ['b', 2],
          ],
        ]);
        // B's move waits while A holds the turn; A's next batch carries it, and B has nothing left to send.
        await hubB.update(entry(doc, 'b', 3));
        await hubB.flush();
        expect(published).toHaveLength(1);
        await hubA.update(entry(doc, 'a', 4));
        await hubA.flush();
        await hubB.flush();
        await hubB.flush();
        expect(users()).toEqual([
          [
            ['a', 1],
            ['b', 2],
          ],
          [
            ['a', 4],
            ['b', 3],
          ],
        ]);
      } finally {
        hubA.close();
        hubB.close();
      }
    });
  });
}
