import { describe, expect, it } from 'vitest';
import type { EventBus, TandemEvent } from '../ports/events.js';
import { suiteFixture } from './suite-fixture.js';

export interface EventBusFixture {
  bus: EventBus;
  close(): Promise<void>;
}

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () =>
      check() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(poll, 10);
    poll();
  });
}

const renamed = (docId: string, n: number): TandemEvent => ({
  type: 'doc.renamed',
  docId,
  title: `t${n}`,
  at: n,
});

/** The behaviours every EventBus adapter must have. */
export function eventBusConformance(name: string, factory: () => Promise<EventBusFixture>): void {
  describe(`EventBus conformance: ${name}`, () => {
    const fixture = suiteFixture('event bus', factory, 60_000);
    const bus = (): EventBus => fixture().bus;

    it('delivers every event of a document to a group, in order', async () => {
      const doc = uniqueId('doc');
      const got: string[] = [];
      const stop = bus().subscribe(uniqueId('group'), async (e) => {
        if (e.docId === doc && e.type === 'doc.renamed') got.push(e.title);
      });
      await bus().publish(Array.from({ length: 30 }, (_, i) => renamed(doc, i)));
      await until(() => got.length === 30);
      expect(got).toEqual(Array.from({ length: 30 }, (_, i) => `t${i}`));
      stop();
    });

    it('retries an event whose handler failed, without skipping it', async () => {
      const doc = uniqueId('doc');
      const got: string[] = [];
      let failures = 0;
      const stop = bus().subscribe(uniqueId('group'), async (e) => {
        if (e.docId !== doc || e.type !== 'doc.renamed') return;
        if (e.title === 't1' && failures++ < 2) throw new Error('transient');
        got.push(e.title);
      });
      await bus().publish([renamed(doc, 0), renamed(doc, 1), renamed(doc, 2)]);
      await until(() => got.length === 3);
      expect(got).toEqual(['t0', 't1', 't2']);
      stop();
    });
  });
}
