import type { TandemError } from '@tandem/errors';
import { describe, expect, it } from 'vitest';
import { type ClientDoc, TandemClient, type TandemClientOptions } from '../src/index.js';
import { ManualClock, Net, twoEditors } from './harness.js';

/** Alice and Bob with text document `doc` open and joined; Alice's client gets `options`. */
const editors = (initial = 'abc', alice: Partial<TandemClientOptions> = {}) => twoEditors({ initial, alice });

/** The errors `target` emits from now on. */
function errorsOf(target: ClientDoc | TandemClient): TandemError[] {
  const errors: TandemError[] = [];
  const listener = (e: TandemError) => errors.push(e);
  if (target instanceof TandemClient) target.on('error', listener);
  else target.on('error', listener);
  return errors;
}

/** Hands `to` the server's refusal of its op `seq` on `doc`. */
function refuse(
  to: TandemClient,
  seq: number,
  code: 'OP_INVALID' | 'UNAVAILABLE',
  retryAfterMs?: number,
): void {
  to.receive({
    type: 'error',
    code,
    message: `refused op ${seq}`,
    docId: 'doc',
    seq,
    retryable: code === 'UNAVAILABLE',
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

describe('malformed local ops', () => {
  it.each([
    ['OP_INVALID', 'not an array', 'insert'],
    ['OP_INVALID', 'a zero skip', [0, 'x']],
    ['OP_INVALID', 'an empty insert', ['']],
    ['OP_INVALID', 'a delete naming text that is not there', [{ d: 'xyz' }]],
    ['OP_OUT_OF_RANGE', 'a skip past the end', [10, 'x']],
    ['OP_OUT_OF_RANGE', 'a delete past the end', [1, { d: 5 }]],
    ['OP_BAD_UNICODE', 'a lone surrogate', ['\uD800']],
  ])('submit throws %s for %s, and changes and sends nothing', (code, _what, op) => {
    const { net, alice, a } = editors('abc');
    const sentBefore = net.sent(alice, 'op').length;
    expect(() => a.submit(op)).toThrow(expect.objectContaining({ name: 'TandemError', code }));
    expect(a.data).toBe('abc');
    expect(a.hasPendingOps).toBe(false);
    expect(a.canUndo).toBe(false);
    net.deliverAll();
    expect(net.sent(alice, 'op')).toHaveLength(sentBefore);
    expect(net.server.log('doc')).toHaveLength(0);
  });

  it('a malformed op leaves the ops already pending as they were', () => {
    const { net, alice, a, b } = editors('abc');
    a.submit(['1']);
    a.submit([4, '2']);
    expect(() => a.submit([99, 'x'])).toThrow(expect.objectContaining({ code: 'OP_OUT_OF_RANGE' }));
    net.deliverAll();
    expect(net.sent(alice, 'op')).toHaveLength(2);
    expect(b.data).toBe('1abc2');
  });

  it('submit before the document is open throws NOT_JOINED', () => {
    const net = new Net();
    net.server.createDoc('doc', 'text', 'abc');
    const a = net.client('alice').open('doc');
    expect(() => a.submit(['x'])).toThrow(expect.objectContaining({ code: 'NOT_JOINED' }));
  });
});

describe('viewers', () => {
  function withViewer() {
    const net = new Net({ roleOf: (_docId, userId) => (userId === 'vera' ? 'viewer' : 'editor') });
    net.server.createDoc('doc', 'text', 'abc');
    const vera = net.client('vera');
    const bob = net.client('bob');
    const v = vera.open('doc');
    const b = bob.open('doc');
    net.deliverAll();
    return { net, vera, v, b };
  }

  it('a viewer joins with the viewer role and follows the edits of others', () => {
    const { net, v, b } = withViewer();
    expect(v.role).toBe('viewer');
    b.submit(['X']);
    net.deliverAll();
    expect(v.data).toBe('Xabc');
  });

  it('a viewer gets FORBIDDEN from submit, and nothing changes or is sent', () => {
    const { net, vera, v } = withViewer();
    expect(() => v.submit(['x'])).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(v.data).toBe('abc');
    expect(v.hasPendingOps).toBe(false);
    expect(net.sent(vera, 'op')).toEqual([]);
  });

  it("an op forced onto the wire from a viewer's session is refused by the server with FORBIDDEN", () => {
    const { net, vera, v, b } = withViewer();
    const errors = errorsOf(v);
    net.forceToServer(vera, {
      type: 'op',
      docId: 'doc',
      clientId: vera.clientId,
      seq: 1,
      baseVersion: 0,
      op: ['x'],
    });
    net.deliverAll();
    expect(net.received(vera, 'error')).toMatchObject([
      { code: 'FORBIDDEN', docId: 'doc', seq: 1, retryable: false },
    ]);
    expect(errors.map((e) => e.code)).toEqual(['FORBIDDEN']);
    expect(net.server.log('doc')).toHaveLength(0);
    expect(net.server.stats.refused).toBe(1);
    expect(v.data).toBe('abc');
    expect(b.data).toBe('abc');
  });
});

describe('an op refused for good', () => {
  it('resets the doc: the reset event fires, pending ops are dropped and the doc rejoins with the server content', () => {
    const { net, alice, a, b } = editors('abc');
    const resets: TandemError[] = [];
    a.on('reset', (e) => resets.push(e.error));
    const errors = errorsOf(a);
    b.submit([3, '!']);
    net.deliverAll();
    a.submit(['1']);
    a.submit([1, '2']);
    expect(net.dropToServer(alice).map((m) => m.type)).toEqual(['op']);
    refuse(alice, 1, 'OP_INVALID');
    expect(resets.map((e) => e.code)).toEqual(['OP_INVALID']);
    expect(errors.map((e) => e.code)).toEqual(['OP_INVALID']);
    expect(a.hasPendingOps).toBe(false);
    expect(a.canUndo).toBe(false);
    expect(net.sent(alice, 'join').at(-1)).toEqual({ type: 'join', docId: 'doc' });
    net.deliverAll();
    expect(a.isReady).toBe(true);
    expect(a.data).toBe('abc!');
    expect(a.data).toEqual(net.server.snapshot('doc'));
    expect(a.version).toBe(net.server.version('doc'));
    expect(net.server.log('doc')).toHaveLength(1);
  });

  it('after a reset the doc edits again, and its next op is committed', () => {
    const { net, alice, a, b } = editors('abc');
    a.submit(['1']);
    net.dropToServer(alice);
    refuse(alice, 1, 'OP_INVALID');
    net.deliverAll();
    a.submit([3, 'd']);
    net.deliverAll();
    expect(net.server.snapshot('doc')).toBe('abcd');
    expect(b.data).toBe('abcd');
  });

  it('committed ops that arrive between the reset and the rejoin do not touch the discarded state', () => {
    const { net, alice, bob, a, b } = editors('abc');
    a.submit([{ d: 3 }]);
    net.dropToServer(alice);
    b.submit([3, 'd']);
    net.deliverToServer(bob);
    // Bob's op is on its way to Alice when her refusal arrives.
    expect(net.queuedToClient(alice).map((m) => m.type)).toEqual(['remote-op']);
    refuse(alice, 1, 'OP_INVALID');
    net.deliverAll();
    expect(a.data).toBe('abcd');
    expect(a.version).toBe(1);
    expect(b.data).toBe('abcd');
  });

  it('a presence batch that arrives while the doc reloads after a reset is ignored', () => {
    const { net, alice, bob, a } = editors('abc');
    a.submit(['long local text ']);
    net.dropToServer(alice);
    refuse(alice, 1, 'OP_INVALID');
    alice.receive({
      type: 'presence-batch',
      docId: 'doc',
      version: 0,
      users: [
        {
          userId: 'bob',
          clientId: bob.clientId,
          name: 'Bob',
          color: '#000',
          selection: { anchor: 2, head: 2 },
        },
      ],
    });
    expect(a.remotePresence).toEqual([]);
    net.deliverAll();
    expect(net.sent(alice, 'fetch')).toEqual([]);
    expect(a.data).toBe('abc');
  });

  it('a local op over the size limit is refused at once, and nothing is applied or sent', () => {
    const { net, alice, a } = editors('abc');
    expect(() => a.submit(['x'.repeat(70 * 1024)])).toThrow(
      expect.objectContaining({ code: 'OP_TOO_LARGE' }),
    );
    expect(a.data).toBe('abc');
    expect(net.sent(alice, 'op')).toEqual([]);
  });

  it('an op the server refuses as too large resets the doc to the server content', () => {
    const { net, alice, a, b } = editors('abc');
    const resets: string[] = [];
    a.on('reset', (e) => resets.push(e.error.code));
    a.submit(['y']);
    net.dropToServer(alice);
    net.forceToServer(alice, {
      type: 'op',
      docId: 'doc',
      clientId: alice.clientId,
      seq: 1,
      baseVersion: 0,
      op: ['x'.repeat(70 * 1024)],
    });
    net.deliverAll();
    expect(net.received(alice, 'error')).toMatchObject([{ code: 'OP_TOO_LARGE', seq: 1 }]);
    expect(resets).toEqual(['OP_TOO_LARGE']);
    expect(a.data).toBe('abc');
    expect(b.data).toBe('abc');
  });

  it('offline edits that together pass the size limit are sent as several ops, none refused', () => {
    const { net, alice, a, b } = editors('abc');
    const errors = errorsOf(a);
    net.cut(alice);
    for (let i = 0; i < 10; i++) a.submit([`${i}`.repeat(10 * 1024)]);
    net.reconnect(alice);
    net.deliverAll();
    expect(errors).toEqual([]);
    expect(net.server.log('doc').length).toBeGreaterThan(1);
    expect(net.server.log('doc').length).toBeLessThan(10);
    expect(a.data).toBe(net.server.snapshot('doc'));
    expect(b.data).toBe(net.server.snapshot('doc'));
  });

  it('an error about an op that is not in flight is reported and changes nothing', () => {
    const { alice, a } = editors('abc');
    const errors = errorsOf(a);
    const resets: unknown[] = [];
    a.on('reset', (e) => resets.push(e));
    a.submit(['x']);
    refuse(alice, 7, 'OP_INVALID');
    expect(errors.map((e) => e.code)).toEqual(['OP_INVALID']);
    expect(resets).toEqual([]);
    expect(a.data).toBe('xabc');
    expect(a.hasPendingOps).toBe(true);
  });
});

describe('an op refused for now', () => {
  it('a retryable error schedules a resend after retryAfterMs, and the op is then committed once', () => {
    const clock = new ManualClock();
    const { net, alice, a, b } = editors('abc', { schedule: clock.schedule });
    const errors = errorsOf(a);
    a.submit(['x']);
    net.dropToServer(alice);
    refuse(alice, 1, 'UNAVAILABLE', 250);
    expect(errors.map((e) => [e.code, e.retryable, e.retryAfterMs])).toEqual([['UNAVAILABLE', true, 250]]);
    expect(clock.pending).toEqual([250]);
    expect(a.data).toBe('xabc');
    expect(a.hasPendingOps).toBe(true);
    clock.advance(249);
    expect(net.sent(alice, 'op')).toHaveLength(1);
    clock.advance(1);
    expect(net.sent(alice, 'op').map((m) => m.seq)).toEqual([1, 1]);
    net.deliverAll();
    expect(net.server.log('doc').map((r) => r.seq)).toEqual([1]);
    expect(net.server.stats.duplicates).toBe(0);
    expect(a.hasPendingOps).toBe(false);
    expect(b.data).toBe('xabc');
  });

  it('a retryable error without retryAfterMs retries after one second', () => {
    const clock = new ManualClock();
    const { net, alice, a } = editors('abc', { schedule: clock.schedule });
    a.submit(['x']);
    net.dropToServer(alice);
    refuse(alice, 1, 'UNAVAILABLE');
    expect(clock.pending).toEqual([1000]);
  });

  it('edits made while the op waits for its retry are buffered and follow it', () => {
    const clock = new ManualClock();
    const { net, alice, a, b } = editors('abc', { schedule: clock.schedule });
    a.submit(['x']);
    net.dropToServer(alice);
    refuse(alice, 1, 'UNAVAILABLE', 100);
    a.submit([4, 'y']);
    clock.advance(100);
    net.deliverAll();
    expect(net.server.log('doc').map((r) => r.seq)).toEqual([1, 2]);
    expect(b.data).toBe('xabcy');
  });

  it('a retry that comes due after the op was committed sends nothing', () => {
    const clock = new ManualClock();
    const { net, alice, a } = editors('abc', { schedule: clock.schedule });
    a.submit(['x']);
    net.dropToServer(alice);
    refuse(alice, 1, 'UNAVAILABLE', 500);
    net.cut(alice);
    net.reconnect(alice);
    net.deliverAll();
    expect(a.hasPendingOps).toBe(false);
    const sent = net.sent(alice, 'op').length;
    clock.advance(500);
    expect(net.sent(alice, 'op')).toHaveLength(sent);
    expect(net.server.log('doc')).toHaveLength(1);
  });

  it('a retry that comes due while offline waits for the reconnect, which resends the op', () => {
    const clock = new ManualClock();
    const { net, alice, a, b } = editors('abc', { schedule: clock.schedule });
    a.submit(['x']);
    net.dropToServer(alice);
    refuse(alice, 1, 'UNAVAILABLE', 500);
    net.cut(alice);
    clock.advance(500);
    expect(net.sent(alice, 'op')).toHaveLength(1);
    net.reconnect(alice);
    net.deliverAll();
    expect(net.server.log('doc').map((r) => r.seq)).toEqual([1]);
    expect(b.data).toBe('xabc');
  });
});

describe('session errors', () => {
  it('a refused token is reported as UNAUTHENTICATED and the session never comes up', () => {
    const net = new Net({ authenticate: (token) => (token === 'good' ? 'alice' : null) });
    net.server.createDoc('doc', 'text', '');
    const mallory = net.client('mallory');
    const errors = errorsOf(mallory);
    mallory.open('doc');
    net.deliverAll();
    expect(errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    expect(mallory.state).toBe('connecting');
    expect(net.sent(mallory, 'join')).toEqual([]);
  });

  it('a message from the server that is not JSON is reported as BAD_JSON and ignored', () => {
    const { alice, a } = editors('abc');
    const errors = errorsOf(alice);
    alice.receive('{not json');
    expect(errors.map((e) => e.code)).toEqual(['BAD_JSON']);
    expect(a.data).toBe('abc');
  });

  it('a welcome in another protocol version is refused with PROTOCOL_VERSION', () => {
    const net = new Net();
    const alice = net.client('alice');
    const errors = errorsOf(alice);
    alice.receive({
      type: 'welcome',
      protocol: 99,
      sessionId: 's',
      userId: 'alice',
      heartbeatMs: 20_000,
      limits: { maxMessageBytes: 1024, maxOpBytes: 512, opsPerSecond: 10, maxDocs: 1, maxPendingOps: 1 },
    });
    expect(errors.map((e) => e.code)).toEqual(['PROTOCOL_VERSION']);
    expect(alice.state).toBe('connecting');
  });

  it('opening a document that does not exist is reported on that document as DOC_NOT_FOUND', () => {
    const net = new Net();
    const alice = net.client('alice');
    const d = alice.open('missing');
    const errors = errorsOf(d);
    net.deliverAll();
    expect(errors.map((e) => e.code)).toEqual(['DOC_NOT_FOUND']);
    expect(d.isReady).toBe(false);
  });
});
