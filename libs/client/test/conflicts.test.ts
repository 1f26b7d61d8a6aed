import type { ConflictNotice } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import type { ClientDoc } from '../src/index.js';
import { twoEditors } from './harness.js';

/** Alice and Bob with json1 document `doc` open and joined. */
const editors = (initial: unknown) => twoEditors({ type: 'json1', initial });

function conflictsOf(doc: ClientDoc): ConflictNotice[] {
  const notices: ConflictNotice[] = [];
  doc.on('conflict', (n) => notices.push(n));
  return notices;
}

describe('json1 write conflicts', () => {
  it('two inserts of the same new key converge on the value committed first', () => {
    const { net, alice, bob, a, b } = editors({});
    a.submit(['title', { i: 'Alice plan' }]);
    b.submit(['title', { i: 'Bob plan' }]);
    net.deliverToServer(alice);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(net.server.snapshot('doc')).toEqual({ title: 'Alice plan' });
    expect(a.data).toEqual({ title: 'Alice plan' });
    expect(b.data).toEqual({ title: 'Alice plan' });
    expect(net.server.replay('doc')).toEqual({ title: 'Alice plan' });
  });

  it('the later committer is told of the drop-collision: the first op, its own op, and that the first write was kept', () => {
    const { net, alice, bob, a, b } = editors({});
    const notices = conflictsOf(b);
    a.submit(['title', { i: 'Alice plan' }]);
    b.submit(['title', { i: 'Bob plan' }]);
    net.deliverToServer(alice);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(notices).toEqual([
      {
        type: 'conflict',
        docId: 'doc',
        version: 2,
        conflicts: [
          {
            kind: 'drop-collision',
            description: expect.stringContaining('/title'),
            first: { userId: 'alice', clientId: alice.clientId, version: 1 },
            later: { userId: 'bob', clientId: bob.clientId, seq: 1 },
            kept: 'first',
            op: ['title', { i: 'Bob plan' }],
          },
        ],
      },
    ]);
  });

  it('the first committer is told of the conflict too', () => {
    const { net, alice, bob, a, b } = editors({});
    const notices = conflictsOf(a);
    a.submit(['title', { i: 'Alice plan' }]);
    b.submit(['title', { i: 'Bob plan' }]);
    net.deliverToServer(alice);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(notices.map((n) => n.conflicts.map((c) => c.kind))).toEqual([['drop-collision']]);
  });

  it('a client not involved in the conflict is not told of it', () => {
    const { net, alice, bob, a, b } = editors({});
    const carol = net.client('carol');
    const c = carol.open('doc');
    net.deliverAll();
    const notices = conflictsOf(c);
    a.submit(['title', { i: 'Alice plan' }]);
    b.submit(['title', { i: 'Bob plan' }]);
    net.deliverToServer(alice);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(notices).toEqual([]);
    expect(c.data).toEqual({ title: 'Alice plan' });
  });

  it('an edit inside an item another user removed vanishes and is reported as remove-edit', () => {
    const { net, alice, bob, a, b } = editors({ card: { text: 'draft' } });
    const notices = conflictsOf(b);
    a.submit(['card', { r: true }]);
    b.submit(['card', 'text', { es: [5, '!'] }]);
    net.deliverToServer(alice);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(a.data).toEqual({});
    expect(b.data).toEqual({});
    expect(notices.flatMap((n) => n.conflicts.map((c) => [c.kind, c.kept]))).toEqual([
      ['remove-edit', 'first'],
    ]);
  });

  it('a removal committed after an edit of what it removed still stands, and the notice says the later write was kept', () => {
    const { net, alice, bob, a, b } = editors({ card: { text: 'draft' } });
    const notices = conflictsOf(b);
    a.submit(['card', 'text', { es: [5, '!'] }]);
    b.submit(['card', { r: true }]);
    net.deliverToServer(alice);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(a.data).toEqual({});
    expect(b.data).toEqual({});
    expect(notices.flatMap((n) => n.conflicts.map((c) => [c.kind, c.kept]))).toEqual([
      ['remove-edit', 'later'],
    ]);
  });

  it('concurrent inserts of different keys both survive without a conflict', () => {
    const { net, alice, bob, a, b } = editors({});
    const notices = conflictsOf(b);
    a.submit(['title', { i: 'Plan' }]);
    b.submit(['owner', { i: 'bob' }]);
    net.deliverToServer(alice);
    net.deliverToServer(bob);
    net.deliverAll();
    expect(a.data).toEqual({ title: 'Plan', owner: 'bob' });
    expect(b.data).toEqual(a.data);
    expect(notices).toEqual([]);
    expect(net.server.stats.conflicts).toBe(0);
  });
});
