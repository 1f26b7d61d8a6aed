import { describe, expect, it } from 'vitest';
import { twoEditors } from './harness.js';

/** Alice and Bob with text document `doc` open and joined. */
const editors = (initial: string) => twoEditors({ initial });

describe('offline editing', () => {
  it('edits made while offline apply locally and send nothing', () => {
    const { net, alice, a } = editors('abc');
    net.cut(alice);
    a.submit(['1']);
    a.submit([4, '2']);
    expect(a.data).toBe('1abc2');
    expect(a.hasPendingOps).toBe(true);
    expect(net.sent(alice, 'op')).toEqual([]);
  });

  it('many edits made while offline are sent on reconnect as one composed op', () => {
    const { net, alice, a, b } = editors('abc');
    net.cut(alice);
    a.submit(['1']);
    a.submit([4, '2']);
    a.submit([2, { d: 1 }]);
    net.reconnect(alice);
    net.deliverAll();
    expect(net.sent(alice, 'op')).toHaveLength(1);
    expect(net.server.log('doc')).toHaveLength(1);
    expect(net.server.snapshot('doc')).toBe('1ac2');
    expect(a.hasPendingOps).toBe(false);
    expect(b.data).toBe(a.data);
  });

  it('offline edits converge with the edits others committed meanwhile', () => {
    const { net, alice, a, b } = editors('abc');
    net.cut(alice);
    a.submit(['<']);
    a.submit([4, '>']);
    a.submit([2, { d: 1 }]);
    b.submit([1, 'X']);
    net.deliverAll();
    b.submit([4, 'Y']);
    net.deliverAll();
    expect(net.server.log('doc')).toHaveLength(2);
    net.reconnect(alice);
    net.deliverAll();
    expect(net.server.log('doc')).toHaveLength(3);
    expect(net.server.snapshot('doc')).toBe('<aXcY>');
    expect(a.data).toBe('<aXcY>');
    expect(b.data).toBe('<aXcY>');
    expect(net.server.replay('doc')).toBe('<aXcY>');
  });

  it('an op in flight when the connection drops is resent first, then the edits made offline follow as one op', () => {
    const { net, alice, a, b } = editors('abc');
    a.submit(['1']);
    net.cut(alice);
    a.submit([4, '2']);
    a.submit([5, '3']);
    net.reconnect(alice);
    net.deliverAll();
    expect(net.sent(alice, 'op').map((m) => [m.seq, m.op])).toEqual([
      [1, ['1']],
      [1, ['1']],
      [2, [4, '23']],
    ]);
    expect(net.server.log('doc').map((r) => r.seq)).toEqual([1, 2]);
    expect(a.data).toBe('1abc23');
    expect(b.data).toBe('1abc23');
  });

  it('offline edits wait for the rejoin and are sent based on the version the catch-up brought', () => {
    const { net, alice, a, b } = editors('abc');
    net.cut(alice);
    a.submit([3, 'd']);
    b.submit(['X']);
    net.deliverAll();
    net.reconnect(alice);
    net.deliverToServer(alice);
    net.deliverToClient(alice); // welcome
    expect(net.sent(alice, 'op')).toEqual([]);
    net.deliverToServer(alice);
    net.deliverToClient(alice); // catch-up and joined
    expect(net.sent(alice, 'op')).toMatchObject([{ seq: 1, baseVersion: 1, op: [4, 'd'] }]);
    net.deliverAll();
    expect(net.server.snapshot('doc')).toBe('Xabcd');
    expect(a.data).toBe('Xabcd');
  });
});
