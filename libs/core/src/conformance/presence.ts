import { describe, expect, it } from 'vitest';
import type { PresenceEntry, PresenceStore } from '../ports/presence.js';
import { suiteFixture } from './suite-fixture.js';

export interface PresenceStoreFixture {
  store: PresenceStore;
  close(): Promise<void>;
}

let counter = 0;
const uniqueId = () => `doc-${Date.now().toString(36)}-${(counter++).toString(36)}`;

const entry = (docId: string, clientId: string, at: number): PresenceEntry => ({
  docId,
  clientId,
  userId: `user-${clientId}`,
  name: clientId,
  selection: { anchor: at, head: at },
  version: 1,
});

/** The behaviours every PresenceStore adapter must have. */
export function presenceStoreConformance(name: string, factory: () => Promise<PresenceStoreFixture>): void {
  describe(`PresenceStore conformance: ${name}`, () => {
    const fixture = suiteFixture('presence', factory);
    const store = (): PresenceStore => fixture().store;

    it('keeps the latest entry per client of a document', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 10_000);
      await store().set(entry(doc, 'a', 5), 10_000);
      await store().set(entry(doc, 'b', 2), 10_000);
      const list = await store().list(doc);
      expect(list.map((e) => [e.clientId, e.selection?.anchor]).sort()).toEqual([
        ['a', 5],
        ['b', 2],
      ]);
    });

    it('drops an entry when it is removed or its time is up', async () => {
      const doc = uniqueId();
      await store().set(entry(doc, 'a', 1), 10_000);
      await store().set(entry(doc, 'b', 1), 100);
      await store().remove(doc, 'a');
      await new Promise((r) => setTimeout(r, 1200));
      expect(await store().list(doc)).toEqual([]);
    });
  });
}
