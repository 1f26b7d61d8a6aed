import type { PresenceUser } from '@tandem/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TandemClient } from '../src/index.js';
import { ManualClock, Net, twoEditors } from './harness.js';

/** Alice, Bob and Carol with text document `doc` ("hello world") open and joined. */
function editors() {
  const net = new Net();
  net.server.createDoc('doc', 'text', 'hello world');
  const alice = net.client('alice');
  const bob = net.client('bob');
  const carol = net.client('carol');
  const a = alice.open('doc');
  const b = bob.open('doc');
  const c = carol.open('doc');
  net.deliverAll();
  return { net, alice, bob, carol, a, b, c };
}

function user(client: TandemClient, at: number | null): PresenceUser {
  const name = client.clientId.split('-')[0] ?? '';
  return {
    userId: name,
    clientId: client.clientId,
    name,
    color: '#3366ff',
    selection: at === null ? null : { anchor: at, head: at },
  };
}

/** Hands `to` a presence batch as the server would send it, stated at `version`. */
function presenceBatch(to: TandemClient, version: number, users: PresenceUser[]): void {
  to.receive({ type: 'presence-batch', docId: 'doc', version, users });
}

function cursorOf(list: { clientId: string; selection: unknown }[], client: TandemClient): unknown {
  return list.find((p) => p.clientId === client.clientId)?.selection;
}

describe('remote cursors', () => {
  it('a presence batch at the current version places the remote cursors where it says', () => {
    const { alice, bob, a } = editors();
    const seen: unknown[] = [];
    a.on('presence', (users) => seen.push(users));
    presenceBatch(alice, a.version, [user(bob, 5)]);
    expect(a.remotePresence).toEqual([
      {
        userId: 'bob',
        clientId: bob.clientId,
        name: 'bob',
        color: '#3366ff',
        selection: { anchor: 5, head: 5 },
      },
    ]);
    expect(seen).toHaveLength(1);
  });

  it("this client's own entry in a batch is not listed", () => {
    const { alice, bob, a } = editors();
    presenceBatch(alice, a.version, [user(alice, 1), user(bob, 5)]);
    expect(a.remotePresence.map((p) => p.clientId)).toEqual([bob.clientId]);
  });

  it('a hidden cursor is listed with a null selection', () => {
    const { alice, bob, a } = editors();
    presenceBatch(alice, a.version, [user(bob, null)]);
    expect(cursorOf(a.remotePresence, bob)).toBeNull();
  });

  it('a local insert before a remote cursor shifts it by the inserted length', () => {
    const { alice, bob, a } = editors();
    presenceBatch(alice, a.version, [user(bob, 5)]);
    a.submit(['>> ']);
    expect(cursorOf(a.remotePresence, bob)).toEqual({ anchor: 8, head: 8 });
  });

  it('a local insert after a remote cursor leaves it where it is', () => {
    const { alice, bob, a } = editors();
    presenceBatch(alice, a.version, [user(bob, 5)]);
    a.submit([11, '!']);
    expect(cursorOf(a.remotePresence, bob)).toEqual({ anchor: 5, head: 5 });
  });

  it("the remote author's own insert at their cursor moves their cursor past it", () => {
    const { net, alice, bob, a, b } = editors();
    presenceBatch(alice, a.version, [user(bob, 5)]);
    b.submit([5, ', big']);
    net.deliverAll();
    expect(a.data).toBe('hello, big world');
    expect(cursorOf(a.remotePresence, bob)).toEqual({ anchor: 10, head: 10 });
  });

  it("another user's insert at a remote cursor leaves that cursor before the insert", () => {
    const { net, alice, bob, a, c } = editors();
    presenceBatch(alice, a.version, [user(bob, 5)]);
    c.submit([5, ', big']);
    net.deliverAll();
    expect(cursorOf(a.remotePresence, bob)).toEqual({ anchor: 5, head: 5 });
  });

  it('a remote selection shrinks when the text inside it is deleted', () => {
    const { alice, bob, a } = editors();
    presenceBatch(alice, a.version, [{ ...user(bob, 0), selection: { anchor: 0, head: 11 } }]);
    a.submit([5, { d: 6 }]);
    expect(cursorOf(a.remotePresence, bob)).toEqual({ anchor: 0, head: 5 });
  });

  it('a batch stated at an older version is brought up to date through the ops committed since', () => {
    const { net, alice, bob, a, c } = editors();
    c.submit(['>> ']);
    net.deliverAll();
    expect(a.version).toBe(1);
    presenceBatch(alice, 0, [user(bob, 5)]);
    expect(cursorOf(a.remotePresence, bob)).toEqual({ anchor: 8, head: 8 });
  });

  it("a batch is mapped through this client's ops the server has not acknowledged yet", () => {
    const { alice, bob, a } = editors();
    a.submit(['>> ']);
    presenceBatch(alice, a.version, [user(bob, 5)]);
    expect(cursorOf(a.remotePresence, bob)).toEqual({ anchor: 8, head: 8 });
  });

  it('a batch stated at a version this client has not reached is dropped', () => {
    const { alice, bob, a } = editors();
    presenceBatch(alice, a.version, [user(bob, 2)]);
    presenceBatch(alice, a.version + 1, [user(bob, 5)]);
    expect(cursorOf(a.remotePresence, bob)).toEqual({ anchor: 2, head: 2 });
  });

  it('each batch replaces the whole set', () => {
    const { alice, bob, carol, a } = editors();
    presenceBatch(alice, a.version, [user(bob, 2), user(carol, 3)]);
    presenceBatch(alice, a.version, [user(carol, 4)]);
    expect(a.remotePresence.map((p) => [p.clientId, p.selection])).toEqual([
      [carol.clientId, { anchor: 4, head: 4 }],
    ]);
  });
});

describe("sharing this user's selection", () => {
  it('setSelection sends the selection at once when no op is pending', () => {
    const { net, alice, a } = editors();
    a.setSelection({ anchor: 2, head: 4 });
    expect(net.sent(alice, 'presence')).toEqual([
      { type: 'presence', docId: 'doc', version: 0, selection: { anchor: 2, head: 4 } },
    ]);
  });

  it('setSelection while an op is pending waits for the ack, then sends the selection at the new version', () => {
    const { net, alice, a } = editors();
    a.submit(['>> ']);
    a.setSelection({ anchor: 3, head: 3 });
    expect(net.sent(alice, 'presence')).toEqual([]);
    net.deliverAll();
    expect(net.sent(alice, 'presence')).toEqual([
      { type: 'presence', docId: 'doc', version: 1, selection: { anchor: 3, head: 3 } },
    ]);
  });

  it("a selection set while ops are pending is sent once, after the last is acknowledged, moved past this user's own insert at the caret", () => {
    const { net, alice, a } = editors();
    a.submit(['1']);
    a.setSelection({ anchor: 1, head: 1 });
    a.submit([1, '2']);
    net.deliverToServer(alice);
    net.deliverToClient(alice); // ack of the first op; the second goes out
    expect(net.sent(alice, 'presence')).toEqual([]);
    net.deliverAll();
    expect(net.sent(alice, 'presence')).toEqual([
      { type: 'presence', docId: 'doc', version: 2, selection: { anchor: 2, head: 2 } },
    ]);
  });

  it("another user's insert before the caret moves the selection that is sent next", () => {
    const { net, alice, bob, a, b } = editors();
    a.submit([11, '!']);
    a.setSelection({ anchor: 6, head: 11 });
    b.submit(['>> ']);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(net.sent(alice, 'presence')).toEqual([
      { type: 'presence', docId: 'doc', version: 2, selection: { anchor: 9, head: 14 } },
    ]);
  });

  it('a null selection hides the cursor', () => {
    const { net, alice, a } = editors();
    a.setSelection(null);
    expect(net.sent(alice, 'presence')).toEqual([
      { type: 'presence', docId: 'doc', version: 0, selection: null },
    ]);
  });

  it('setSelection before the document is open throws NOT_JOINED', () => {
    const net = new Net();
    net.server.createDoc('doc', 'text', '');
    const alice = net.client('alice');
    const a = alice.open('doc');
    expect(() => a.setSelection({ anchor: 0, head: 0 })).toThrow(
      expect.objectContaining({ code: 'NOT_JOINED' }),
    );
  });

  it('a selection that is not a cursor of the document type is refused with BAD_MESSAGE and not sent', () => {
    const { net, alice, a } = editors();
    expect(() => a.setSelection({ anchor: -1, head: 0 })).toThrow(
      expect.objectContaining({ code: 'BAD_MESSAGE' }),
    );
    expect(net.sent(alice, 'presence')).toEqual([]);
  });
});

/** Alice, whose timers run on a clock the test moves, and Bob, with `doc` ("hello world") open and joined. */
function stillEditors() {
  const clock = new ManualClock();
  return { clock, ...twoEditors({ initial: 'hello world', alice: { schedule: clock.schedule } }) };
}

describe('keeping a still cursor on the server', () => {
  it('a selection nobody moves is sent again every 4 s', () => {
    const { clock, net, alice, a } = stillEditors();
    a.setSelection({ anchor: 2, head: 4 });
    clock.advance(3999);
    expect(net.sent(alice, 'presence')).toHaveLength(1);
    clock.advance(1);
    expect(net.sent(alice, 'presence')).toHaveLength(2);
    clock.advance(4000);
    expect(net.sent(alice, 'presence')).toEqual([
      { type: 'presence', docId: 'doc', version: 0, selection: { anchor: 2, head: 4 } },
      { type: 'presence', docId: 'doc', version: 0, selection: { anchor: 2, head: 4 } },
      { type: 'presence', docId: 'doc', version: 0, selection: { anchor: 2, head: 4 } },
    ]);
  });

  it("a restated selection is stated at the current version, moved past other users' ops", () => {
    const { clock, net, alice, a, b } = stillEditors();
    a.setSelection({ anchor: 2, head: 4 });
    b.submit(['>> ']);
    net.deliverAll();
    clock.advance(4000);
    expect(net.sent(alice, 'presence').at(-1)).toEqual({
      type: 'presence',
      docId: 'doc',
      version: 1,
      selection: { anchor: 5, head: 7 },
    });
  });

  it('the 4 s run from the last selection sent, so a moving cursor is not restated in between', () => {
    const { clock, net, alice, a } = stillEditors();
    a.setSelection({ anchor: 1, head: 1 });
    clock.advance(3000);
    a.setSelection({ anchor: 2, head: 2 });
    clock.advance(3999);
    expect(net.sent(alice, 'presence').map((m) => m.selection)).toEqual([
      { anchor: 1, head: 1 },
      { anchor: 2, head: 2 },
    ]);
    clock.advance(1);
    expect(net.sent(alice, 'presence').map((m) => m.selection)).toEqual([
      { anchor: 1, head: 1 },
      { anchor: 2, head: 2 },
      { anchor: 2, head: 2 },
    ]);
  });

  it('nothing is restated, and no timer set, when no selection was ever set', () => {
    const { clock, net, alice } = stillEditors();
    clock.advance(20_000);
    expect(net.sent(alice, 'presence')).toEqual([]);
    expect(clock.pending).toEqual([]);
  });

  it('a hidden cursor is not restated', () => {
    const { clock, net, alice, a } = stillEditors();
    a.setSelection({ anchor: 2, head: 4 });
    a.setSelection(null);
    clock.advance(20_000);
    expect(net.sent(alice, 'presence').map((m) => m.selection)).toEqual([{ anchor: 2, head: 4 }, null]);
  });

  it('nothing is restated after the document is closed', () => {
    const { clock, net, alice, a } = stillEditors();
    a.setSelection({ anchor: 2, head: 4 });
    alice.close('doc');
    clock.advance(20_000);
    expect(net.sent(alice, 'leave')).toHaveLength(1);
    expect(net.sent(alice, 'presence')).toHaveLength(1);
  });

  it('nothing is restated while offline; the rejoin restates the selection at once and every 4 s after', () => {
    const { clock, net, alice, a } = stillEditors();
    a.setSelection({ anchor: 2, head: 4 });
    net.cut(alice);
    clock.advance(20_000);
    expect(net.sent(alice, 'presence')).toHaveLength(1);
    net.reconnect(alice);
    net.deliverAll();
    expect(net.sent(alice, 'presence')).toHaveLength(2);
    clock.advance(4000);
    expect(net.sent(alice, 'presence')).toHaveLength(3);
  });
});

describe('presence while typing', () => {
  it('a restatement due while an op is pending goes at once: the selection last sent, at the current version', () => {
    const { clock, net, alice, a } = stillEditors();
    a.setSelection({ anchor: 2, head: 2 });
    a.submit(['>> ']);
    clock.advance(4000);
    expect(net.sent(alice, 'presence')).toEqual([
      { type: 'presence', docId: 'doc', version: 0, selection: { anchor: 2, head: 2 } },
      { type: 'presence', docId: 'doc', version: 0, selection: { anchor: 2, head: 2 } },
    ]);
    // The server carries that cursor past the insert as this client did: nothing left to tell.
    net.deliverAll();
    expect(a.data).toBe('>> hello world');
    expect(net.sent(alice, 'presence')).toHaveLength(2);
  });

  it('someone typing without a pause is restated every 4 s, at a version the server has, where the typing carried the cursor', () => {
    const { clock, net, alice, a } = stillEditors();
    a.setSelection({ anchor: 5, head: 5 });
    a.submit([5, 'x']);
    // Each keystroke types at the caret; the ack of one always finds the next buffered.
    for (let key = 1; key <= 24; key++) {
      a.submit([5 + key, 'x']);
      a.setSelection({ anchor: 6 + key, head: 6 + key });
      net.deliverToServer(alice);
      net.deliverToClient(alice);
      expect(a.hasPendingOps).toBe(true);
      clock.advance(500);
    }
    const sent = net.sent(alice, 'presence');
    expect(sent.map((m) => m.version)).toEqual([0, 8, 16, 24]);
    // The server has each of those versions: the ops up to them are this user's x's, which push the caret along.
    expect(sent.map((m) => m.selection)).toEqual([5, 13, 21, 29].map((at) => ({ anchor: at, head: at })));
    net.deliverAll();
    expect(net.sent(alice, 'presence').at(-1)).toEqual({
      type: 'presence',
      docId: 'doc',
      version: 25,
      selection: { anchor: 30, head: 30 },
    });
  });

  it("the restatement while an op is pending is the selection last sent, moved past other users' ops, not the one set since", () => {
    const { clock, net, alice, bob, a, b } = stillEditors();
    a.setSelection({ anchor: 2, head: 2 });
    a.submit([11, '!']);
    a.setSelection({ anchor: 12, head: 12 });
    b.submit(['>> ']);
    net.deliverToServer(bob);
    net.deliverToClient(alice);
    expect(a.version).toBe(1);
    clock.advance(4000);
    expect(net.sent(alice, 'presence').at(-1)).toEqual({
      type: 'presence',
      docId: 'doc',
      version: 1,
      selection: { anchor: 5, head: 5 },
    });
    net.deliverAll();
    expect(net.sent(alice, 'presence').at(-1)).toEqual({
      type: 'presence',
      docId: 'doc',
      version: 2,
      selection: { anchor: 15, head: 15 },
    });
  });

  it('hiding the cursor while an op is pending is sent at once, and then nothing is restated', () => {
    const { clock, net, alice, a } = stillEditors();
    a.setSelection({ anchor: 2, head: 2 });
    a.submit(['>> ']);
    a.setSelection(null);
    expect(net.sent(alice, 'presence').at(-1)).toEqual({
      type: 'presence',
      docId: 'doc',
      version: 0,
      selection: null,
    });
    clock.advance(20_000);
    net.deliverAll();
    expect(net.sent(alice, 'presence')).toHaveLength(2);
  });

  it('typing at the caret sends no presence when the queue empties: the server carries the cursor along as the client does', () => {
    const { net, alice, a } = stillEditors();
    a.setSelection({ anchor: 5, head: 5 });
    a.submit([5, 'x']);
    a.submit([6, 'y']);
    net.deliverAll();
    expect(a.data).toBe('helloxy world');
    expect(net.sent(alice, 'presence')).toHaveLength(1);
  });

  it("the ack that empties the queue restates a cursor the server carried elsewhere: another user's insert at the same place", () => {
    const { net, alice, bob, a, b } = stillEditors();
    a.setSelection({ anchor: 5, head: 5 });
    a.submit([5, 'a']);
    b.submit([5, 'X']);
    net.deliverToServer(bob);
    net.deliverAll();
    // Bob's insert was committed first and lands before Alice's: her caret is after both, but
    // the server left the cursor she last sent before Bob's insert, as it does for another user's.
    expect(a.data).toBe('helloXa world');
    expect(net.sent(alice, 'presence')).toEqual([
      { type: 'presence', docId: 'doc', version: 0, selection: { anchor: 5, head: 5 } },
      { type: 'presence', docId: 'doc', version: 2, selection: { anchor: 7, head: 7 } },
    ]);
  });
});

describe('the default timer of a still cursor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('is cleared when the document is closed', () => {
    vi.useFakeTimers();
    const { alice, a } = twoEditors({ initial: 'hello world' });
    a.setSelection({ anchor: 2, head: 4 });
    expect(vi.getTimerCount()).toBe(1);
    alice.close('doc');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('is cleared when the connection is lost', () => {
    vi.useFakeTimers();
    const { net, alice, a } = twoEditors({ initial: 'hello world' });
    a.setSelection({ anchor: 2, head: 4 });
    net.cut(alice);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('restates the selection after 4 s', () => {
    vi.useFakeTimers();
    const { net, alice, a } = twoEditors({ initial: 'hello world' });
    a.setSelection({ anchor: 2, head: 4 });
    vi.advanceTimersByTime(4000);
    expect(net.sent(alice, 'presence')).toHaveLength(2);
  });
});
