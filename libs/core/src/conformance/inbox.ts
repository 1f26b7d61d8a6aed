import { describe, expect, it } from 'vitest';
import type { Inbox } from '../ports/inbox.js';
import { suiteFixture } from './suite-fixture.js';

export interface InboxFixture {
  inbox: Inbox;
  /** A second connection to the same broker (another process's view); may be the same object in-process. */
  other: Inbox;
  close(): Promise<void>;
}

let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () =>
      check() ? resolve() : Date.now() > deadline ? reject(new Error('timed out')) : setTimeout(poll, 5);
    poll();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The behaviours every Inbox adapter must have. */
export function inboxConformance(name: string, factory: () => Promise<InboxFixture>): void {
  describe(`Inbox conformance: ${name}`, () => {
    const fixture = suiteFixture('inbox', factory);
    const f = (): InboxFixture => fixture();

    it('delivers a member’s messages to its receiver in send order, as JSON', async () => {
      const worker = uniqueId('worker');
      const got: unknown[] = [];
      const stop = await f().other.receive(worker, (m) => got.push(m));
      const sent = Array.from({ length: 30 }, (_, i) => ({
        n: i,
        op: [i, 'héllo 😀', { d: 2 }],
        nested: { empty: {}, list: [], none: null, yes: true, half: 0.5 },
      }));
      for (const m of sent) expect(await f().inbox.send(worker, m)).toBe(true);
      await until(() => got.length === sent.length);
      expect(got).toEqual(sent);
      await stop();
    });

    it('delivers what JSON keeps of a message, not the object sent', async () => {
      const worker = uniqueId('worker');
      const got: unknown[] = [];
      const stop = await f().other.receive(worker, (m) => got.push(m));
      const message = { at: new Date(0), missing: undefined, list: [1, undefined] };
      await f().inbox.send(worker, message);
      await until(() => got.length === 1);
      expect(got[0]).toStrictEqual({ at: '1970-01-01T00:00:00.000Z', list: [1, null] });
      await stop();
    });

    it('carries an answer back to the inbox the message names', async () => {
      const gateway = uniqueId('gateway');
      const worker = uniqueId('worker');
      const stopWorker = await f().other.receive(worker, (m) => {
        const request = m as { replyTo: string; id: number };
        void f().other.send(request.replyTo, { id: request.id, ok: true });
      });
      const answers: unknown[] = [];
      const stopGateway = await f().inbox.receive(gateway, (m) => answers.push(m));
      await f().inbox.send(worker, { replyTo: gateway, id: 7 });
      await until(() => answers.length === 1);
      expect(answers).toEqual([{ id: 7, ok: true }]);
      await stopWorker();
      await stopGateway();
    });

    it('drops a message to a member that is not receiving, and says so', async () => {
      const worker = uniqueId('worker');
      expect(await f().inbox.send(worker, { n: 1 })).toBe(false);
      const got: unknown[] = [];
      const stop = await f().other.receive(worker, (m) => got.push(m));
      await sleep(100);
      expect(got).toEqual([]);
      await stop();
    });

    it('delivers no other member’s messages, and none after receiving stops', async () => {
      const worker = uniqueId('worker');
      const got: unknown[] = [];
      const stop = await f().other.receive(worker, (m) => got.push(m));
      await f().inbox.send(uniqueId('worker'), { to: 'someone else' });
      await f().inbox.send(worker, { to: 'me' });
      await until(() => got.length === 1);
      await stop();
      expect(await f().inbox.send(worker, { to: 'me, too late' })).toBe(false);
      await sleep(100);
      expect(got).toEqual([{ to: 'me' }]);
    });
  });
}
