import { describe, expect, it } from 'vitest';
import { Net, twoEditors } from './harness.js';

/** Alice and Bob with text document `doc` open and joined. */
const editors = (initial = 'abc') => twoEditors({ initial });

describe('joining', () => {
  it('a client that opens a document receives its content and version', () => {
    const net = new Net();
    net.server.createDoc('doc', 'text', 'hello');
    const alice = net.client('alice');
    const a = alice.open('doc');
    net.deliverAll();
    expect(a.isReady).toBe(true);
    expect(a.data).toBe('hello');
    expect(a.version).toBe(0);
    expect(a.role).toBe('editor');
  });

  it('a document opened before the session is up joins after the welcome', () => {
    const net = new Net();
    net.server.createDoc('doc', 'text', 'hello');
    const alice = net.client('alice');
    const a = alice.open('doc');
    expect(net.sent(alice, 'join')).toEqual([]);
    net.deliverAll();
    expect(net.sent(alice, 'join')).toEqual([{ type: 'join', docId: 'doc' }]);
    expect(a.data).toBe('hello');
  });
});

describe('local ops', () => {
  it('a local op applies to doc.data at once, before the server has it', () => {
    const { net, alice, a } = editors('abc');
    a.submit([3, 'd']);
    expect(a.data).toBe('abcd');
    expect(a.hasPendingOps).toBe(true);
    expect(net.server.snapshot('doc')).toBe('abc');
    expect(net.sent(alice, 'op')).toMatchObject([{ seq: 1, baseVersion: 0, op: [3, 'd'] }]);
  });

  it('only one op is in flight: later ops wait in a buffer and go as one composed op after the ack', () => {
    const { net, alice, a, b } = editors('');
    a.submit(['a']);
    a.submit([1, 'b']);
    a.submit([2, 'c']);
    expect(net.sent(alice, 'op')).toHaveLength(1);
    net.deliverAll();
    expect(net.server.log('doc').map((r) => r.op)).toEqual([['a'], [1, 'bc']]);
    expect(net.sent(alice, 'op').map((m) => m.seq)).toEqual([1, 2]);
    expect(a.hasPendingOps).toBe(false);
    expect(a.data).toBe('abc');
    expect(b.data).toBe('abc');
  });

  it('the ack moves the client to the version its op was committed at', () => {
    const { net, a } = editors('abc');
    const acks: { seq: number; version: number }[] = [];
    a.on('ack', (e) => acks.push(e));
    a.submit(['x']);
    net.deliverAll();
    expect(acks).toEqual([{ seq: 1, version: 1 }]);
    expect(a.version).toBe(1);
  });

  it('a remote op is applied and announced with its version and author', () => {
    const { net, a, b } = editors('abc');
    const seen: { op: unknown; version: number; author: string }[] = [];
    a.on('remote-op', (e) => seen.push(e));
    b.submit([1, { d: 1 }]);
    net.deliverAll();
    expect(a.data).toBe('ac');
    expect(seen).toEqual([{ op: [1, { d: 1 }], version: 1, author: 'bob' }]);
  });
});

describe('concurrent ops', () => {
  it.each([
    ['alice', 'aABb'],
    ['bob', 'aBAb'],
  ])(
    'concurrent inserts at one position converge with the text committed first coming first (%s first)',
    (first, expected) => {
      const { net, alice, bob, a, b } = editors('ab');
      a.submit([1, 'A']);
      b.submit([1, 'B']);
      const [winner, loser] = first === 'alice' ? [alice, bob] : [bob, alice];
      net.deliverToServer(winner);
      net.deliverToServer(loser);
      net.deliverAll();
      expect(net.server.snapshot('doc')).toBe(expected);
      expect(a.data).toBe(expected);
      expect(b.data).toBe(expected);
    },
  );

  it('a remote op that arrives while an op is in flight and more are buffered is transformed past both', () => {
    const { net, alice, bob, a, b } = editors('abc');
    a.submit(['1']);
    a.submit([4, '2']);
    expect(a.data).toBe('1abc2');
    b.submit([1, { d: 1 }, 1, 'X']);
    net.deliverToServer(bob);
    net.deliverToServer(alice);
    // Bob's op reaches Alice while her first op is in flight and her second is buffered.
    expect(net.queuedToClient(alice).map((m) => m.type)).toEqual(['remote-op', 'ack']);
    net.deliverToClient(alice, 1);
    expect(a.data).toBe('1acX2');
    expect(a.hasPendingOps).toBe(true);
    net.deliverAll();
    expect(net.server.snapshot('doc')).toBe('1acX2');
    expect(a.data).toBe('1acX2');
    expect(b.data).toBe('1acX2');
    expect(net.server.replay('doc')).toBe('1acX2');
    expect(net.server.log('doc')).toHaveLength(3);
  });

  it('an op committed past a concurrent one is counted as transformed by the server', () => {
    const { net, alice, bob, a, b } = editors('abc');
    a.submit(['x']);
    b.submit([3, 'y']);
    net.deliverToServer(alice);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(net.server.stats.transformed).toBe(1);
    expect(a.data).toBe('xabcy');
    expect(b.data).toBe('xabcy');
  });
});

describe('reconnecting', () => {
  it('an op whose ack was lost is found in the catch-up after a reconnect and not sent again', () => {
    const { net, alice, a, b } = editors('abc');
    a.submit(['x']);
    net.deliverToServer(alice);
    expect(net.dropToClient(alice).map((m) => m.type)).toEqual(['ack']);
    net.cut(alice);
    net.reconnect(alice);
    net.deliverAll();
    expect(net.sent(alice, 'op').map((m) => m.seq)).toEqual([1]);
    expect(net.server.log('doc')).toHaveLength(1);
    expect(net.server.stats.duplicates).toBe(0);
    expect(a.hasPendingOps).toBe(false);
    expect(a.version).toBe(1);
    expect(a.data).toBe('xabc');
    expect(b.data).toBe('xabc');
  });

  it('an op that reaches the server after its author reconnected and resent it is committed once, at its original version', () => {
    const { net, alice, a, b } = editors('abc');
    a.submit(['x']);
    net.cut(alice, { serverReadsInFlight: true });
    net.reconnect(alice);
    net.deliverToServer(alice);
    net.deliverToClient(alice); // welcome: Alice rejoins at version 0
    net.deliverToServer(alice);
    net.deliverToClient(alice); // joined: Alice resends her op
    expect(net.sent(alice, 'op').map((m) => [m.seq, m.op])).toEqual([
      [1, ['x']],
      [1, ['x']],
    ]);
    net.deliverStale(alice); // the first send arrives on the old connection and is committed at version 1
    net.deliverAll(); // the resend is answered with that version
    expect(net.server.stats.duplicates).toBe(1);
    expect(net.server.log('doc').map((r) => [r.version, r.seq])).toEqual([[1, 1]]);
    expect(a.hasPendingOps).toBe(false);
    expect(a.version).toBe(1);
    expect(a.data).toBe('xabc');
    expect(b.data).toBe('xabc');
  });

  it('a resend of a committed op is acked with the version it was committed at', () => {
    const { net, alice, a } = editors('abc');
    a.submit(['x']);
    net.deliverAll();
    net.forceToServer(alice, {
      type: 'op',
      docId: 'doc',
      clientId: alice.clientId,
      seq: 1,
      baseVersion: 1,
      op: ['x'],
    });
    net.deliverAll();
    expect(net.received(alice, 'ack')).toEqual([
      { type: 'ack', docId: 'doc', seq: 1, version: 1 },
      { type: 'ack', docId: 'doc', seq: 1, version: 1 },
    ]);
    expect(net.server.stats.duplicates).toBe(1);
    expect(net.server.snapshot('doc')).toBe('xabc');
    expect(a.data).toBe('xabc');
  });

  it('an op lost before it reached the server is resent on reconnect and committed once', () => {
    const { net, alice, a, b } = editors('abc');
    a.submit(['x']);
    expect(net.dropToServer(alice).map((m) => m.type)).toEqual(['op']);
    net.cut(alice);
    net.reconnect(alice);
    net.deliverAll();
    expect(net.sent(alice, 'op').map((m) => m.seq)).toEqual([1, 1]);
    expect(net.server.log('doc').map((r) => r.seq)).toEqual([1]);
    expect(net.server.stats.duplicates).toBe(0);
    expect(a.data).toBe('xabc');
    expect(b.data).toBe('xabc');
  });

  it('a client that reconnects rejoins at its version and catches up on what it missed', () => {
    const { net, alice, a, b } = editors('abc');
    net.cut(alice);
    b.submit(['1']);
    net.deliverAll();
    b.submit(['2']);
    net.deliverAll();
    net.reconnect(alice);
    net.deliverAll();
    expect(net.sent(alice, 'join').at(-1)).toEqual({ type: 'join', docId: 'doc', version: 0 });
    expect(net.received(alice, 'catchup').map((m) => [m.from, m.to])).toEqual([[1, 2]]);
    expect(a.version).toBe(2);
    expect(a.data).toBe('21abc');
  });
});

describe('gaps', () => {
  it('a client that misses a remote op sees the gap at the next one, fetches it and converges', () => {
    const { net, alice, bob, a, b } = editors('abc');
    b.submit(['X']);
    net.deliverToServer(bob);
    expect(net.dropToClient(alice).map((m) => m.type)).toEqual(['remote-op']);
    net.deliverAll();
    expect(a.data).toBe('abc');
    b.submit(['Y']);
    net.deliverToServer(bob);
    net.deliverToClient(alice);
    expect(net.sent(alice, 'fetch')).toEqual([{ type: 'fetch', docId: 'doc', from: 1, to: 1 }]);
    expect(a.version).toBe(0);
    net.deliverAll();
    expect(a.version).toBe(2);
    expect(a.data).toBe('YXabc');
    expect(b.data).toBe('YXabc');
  });

  it('a gap is fetched once, however many ops arrive after it while the fetch is out', () => {
    const { net, alice, bob, a, b } = editors('abc');
    b.submit(['X']);
    net.deliverToServer(bob);
    net.dropToClient(alice);
    net.deliverToClient(bob);
    for (const text of ['Y', 'Z']) {
      b.submit([text]);
      net.deliverToServer(bob);
      net.deliverToClient(bob);
      net.deliverToClient(alice);
    }
    expect(net.sent(alice, 'fetch')).toEqual([{ type: 'fetch', docId: 'doc', from: 1, to: 1 }]);
    net.deliverAll();
    expect(net.sent(alice, 'fetch')).toHaveLength(1);
    expect(a.data).toBe('ZYXabc');
  });

  it('a missed remote op is fetched while this client has an op in flight, and both converge', () => {
    const { net, alice, bob, a, b } = editors('abc');
    b.submit([3, '!']);
    net.deliverToServer(bob);
    net.dropToClient(alice);
    a.submit(['>']);
    net.deliverAll();
    expect(net.sent(alice, 'fetch')).toEqual([{ type: 'fetch', docId: 'doc', from: 1, to: 1 }]);
    expect(a.hasPendingOps).toBe(false);
    expect(a.data).toBe('>abc!');
    expect(b.data).toBe('>abc!');
    expect(net.server.snapshot('doc')).toBe('>abc!');
  });
});

describe('many documents on one connection', () => {
  it('one client edits a text, a rich-text and a json1 document over one socket, and each converges on its own', () => {
    const net = new Net();
    net.server.createDoc('notes', 'text', 'todo');
    net.server.createDoc('letter', 'rich-text', 'Dear');
    net.server.createDoc('board', 'json1', { cards: [] });
    const alice = net.client('alice');
    const bob = net.client('bob');
    const aNotes = alice.open('notes');
    const aLetter = alice.open('letter');
    const aBoard = alice.open('board');
    const bNotes = bob.open('notes');
    const bLetter = bob.open('letter');
    const bBoard = bob.open('board');
    net.deliverAll();

    aNotes.submit([4, ': ship']);
    bNotes.submit(['- ']);
    aLetter.submit([{ retain: 4, attributes: { bold: true } }]);
    bLetter.submit([{ retain: 4 }, { insert: ' Bob' }]);
    aBoard.submit(['cards', 0, { i: 'alice card' }]);
    bBoard.submit(['cards', 0, { i: 'bob card' }]);
    net.deliverAll();

    expect(net.sent(alice, 'hello')).toHaveLength(1);
    expect(aNotes.data).toBe('- todo: ship');
    expect(bNotes.data).toBe('- todo: ship');
    expect(aLetter.data).toEqual([{ insert: 'Dear', attributes: { bold: true } }, { insert: ' Bob' }]);
    expect(bLetter.data).toEqual(aLetter.data);
    expect(aBoard.data).toEqual(bBoard.data);
    expect([...(aBoard.data as { cards: string[] }).cards].sort()).toEqual(['alice card', 'bob card']);
    for (const id of ['notes', 'letter', 'board']) {
      expect(net.server.log(id)).toHaveLength(2);
      expect(net.server.replay(id)).toEqual(net.server.snapshot(id));
    }
    expect(aNotes.version).toBe(2);
    expect(aLetter.version).toBe(2);
    expect(aBoard.version).toBe(2);
  });

  it('closing one document leaves the others open and stops its updates', () => {
    const net = new Net();
    net.server.createDoc('one', 'text', '');
    net.server.createDoc('two', 'text', '');
    const alice = net.client('alice');
    const bob = net.client('bob');
    const aOne = alice.open('one');
    const aTwo = alice.open('two');
    const bOne = bob.open('one');
    const bTwo = bob.open('two');
    net.deliverAll();
    alice.close('one');
    net.deliverAll();
    bOne.submit(['1']);
    bTwo.submit(['2']);
    net.deliverAll();
    expect(net.sent(alice, 'leave')).toEqual([{ type: 'leave', docId: 'one' }]);
    expect(net.received(alice, 'remote-op').map((m) => m.docId)).toEqual(['two']);
    expect(aOne.data).toBe('');
    expect(aTwo.data).toBe('2');
  });

  it('a document closed and opened again keeps committing ops: seqs keep counting up', () => {
    const { net, alice, a } = editors('abc');
    a.submit(['1']);
    net.deliverAll();
    alice.close('doc');
    net.deliverAll();
    const again = alice.open('doc');
    net.deliverAll();
    again.submit(['2']);
    net.deliverAll();
    expect(again.hasPendingOps).toBe(false);
    expect(net.server.snapshot('doc')).toBe('21abc');
    expect(net.server.log('doc').map((r) => r.seq)).toEqual([1, 2]);
  });
});
