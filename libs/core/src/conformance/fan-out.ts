import { describe, expect, it } from 'vitest';
import type { DocBroadcast, FanOut } from '../ports/fan-out.js';
import { suiteFixture } from './suite-fixture.js';

export interface FanOutFixture {
  fanOut: FanOut;
  /** A second connection to the same broker (another process's view); may be the same object in-process. */
  other: FanOut;
  close(): Promise<void>;
}

let counter = 0;
const uniqueId = () => `doc-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () =>
      check() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(poll, 5);
    poll();
  });
}

const op = (version: number): DocBroadcast => ({
  kind: 'op',
  record: { version, op: ['x'], author: 'ann', clientId: 'client-a', seq: version, ts: 0 },
});

/** The behaviours every FanOut adapter must have. */
export function fanOutConformance(name: string, factory: () => Promise<FanOutFixture>): void {
  describe(`FanOut conformance: ${name}`, () => {
    const fixture = suiteFixture('fan-out', factory);
    const f = (): FanOutFixture => fixture();

    it('delivers a document’s messages to its subscribers, in publish order', async () => {
      const doc = uniqueId();
      const got: DocBroadcast[] = [];
      const off = f().other.subscribe(doc, (m) => got.push(m));
      await new Promise((r) => setTimeout(r, 50));
      for (let v = 1; v <= 20; v++) await f().fanOut.publish(doc, op(v));
      await until(() => got.length === 20);
      expect(got.map((m) => (m.kind === 'op' ? m.record.version : 0))).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
      off();
    });

    it('does not deliver other documents’ messages, nor after unsubscribing', async () => {
      const doc = uniqueId();
      const other = uniqueId();
      const got: DocBroadcast[] = [];
      const off = f().other.subscribe(doc, (m) => got.push(m));
      await new Promise((r) => setTimeout(r, 50));
      await f().fanOut.publish(other, op(1));
      await f().fanOut.publish(doc, { kind: 'permissions' });
      await until(() => got.length === 1);
      off();
      await f().fanOut.publish(doc, op(2));
      await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([{ kind: 'permissions' }]);
    });

    it('gives every handler of a document each message, until that handler unsubscribes', async () => {
      const doc = uniqueId();
      const a: DocBroadcast[] = [];
      const b: DocBroadcast[] = [];
      const offA = f().other.subscribe(doc, (m) => a.push(m));
      const offThrowing = f().other.subscribe(doc, () => {
        throw new Error('a handler that fails must not keep the message from the others');
      });
      const offB = f().other.subscribe(doc, (m) => b.push(m));
      await new Promise((r) => setTimeout(r, 50));
      await f().fanOut.publish(doc, op(1));
      await until(() => a.length === 1 && b.length === 1);
      offA();
      offThrowing();
      await f().fanOut.publish(doc, op(2));
      await until(() => b.length === 2);
      expect(a.map((m) => (m.kind === 'op' ? m.record.version : 0))).toEqual([1]);
      expect(b.map((m) => (m.kind === 'op' ? m.record.version : 0))).toEqual([1, 2]);
      offB();
    });
  });
}
