import type { DocTypeName } from '@tandem/ot';
import { describe, expect, it } from 'vitest';
import { ManualClock, Net, twoEditors } from './harness.js';

/**
 * Alice and Bob with document `doc` open and joined. Undo grouping is off unless a test
 * sets `groupMs`; the clock drives it.
 */
function editors(type: DocTypeName, initial: unknown, groupMs = 0) {
  const clock = new ManualClock();
  const options = { doc: { undo: { groupMs, now: clock.now } } };
  return { clock, ...twoEditors({ type, initial, alice: options, bob: options }) };
}

describe('undo and redo (text)', () => {
  it("undo reverts only this user's own op and keeps another user's later edit", () => {
    const { net, a, b } = editors('text', '');
    a.submit(['hello']);
    net.deliverAll();
    b.submit([5, ' world']);
    net.deliverAll();
    expect(a.undo()).toBe(true);
    net.deliverAll();
    expect(a.data).toBe(' world');
    expect(b.data).toBe(' world');
    expect(net.server.snapshot('doc')).toBe(' world');
  });

  it('redo restores what undo reverted, in its place among the other edits', () => {
    const { net, a, b } = editors('text', '');
    a.submit(['hello']);
    net.deliverAll();
    b.submit([5, ' world']);
    net.deliverAll();
    a.undo();
    net.deliverAll();
    expect(a.redo()).toBe(true);
    net.deliverAll();
    expect(a.data).toBe('hello world');
    expect(b.data).toBe('hello world');
  });

  it('undo of a delete puts the text back even after others edited around it', () => {
    const { net, a, b } = editors('text', 'one two three');
    a.submit([4, { d: 4 }]);
    net.deliverAll();
    b.submit(['>', 9, '!']);
    net.deliverAll();
    expect(a.data).toBe('>one three!');
    a.undo();
    net.deliverAll();
    expect(a.data).toBe('>one two three!');
    expect(b.data).toBe('>one two three!');
  });

  it("undo does not touch another user's edits even when this user has none", () => {
    const { net, a, b } = editors('text', 'abc');
    b.submit(['X']);
    net.deliverAll();
    expect(a.canUndo).toBe(false);
    expect(a.undo()).toBe(false);
    expect(a.data).toBe('Xabc');
    expect(a.hasPendingOps).toBe(false);
  });

  it('undo works on an op that is still in flight, and the server ends with neither', () => {
    const { net, alice, a, b } = editors('text', 'abc');
    a.submit([3, 'd']);
    a.undo();
    expect(a.data).toBe('abc');
    net.deliverAll();
    expect(net.sent(alice, 'op')).toHaveLength(2);
    expect(net.server.snapshot('doc')).toBe('abc');
    expect(b.data).toBe('abc');
  });

  it('canUndo and canRedo follow the stacks', () => {
    const { a } = editors('text', '');
    expect([a.canUndo, a.canRedo]).toEqual([false, false]);
    a.submit(['x']);
    expect([a.canUndo, a.canRedo]).toEqual([true, false]);
    a.undo();
    expect([a.canUndo, a.canRedo]).toEqual([false, true]);
    a.redo();
    expect([a.canUndo, a.canRedo]).toEqual([true, false]);
  });

  it('a new edit clears the redo stack', () => {
    const { a } = editors('text', '');
    a.submit(['x']);
    a.undo();
    expect(a.canRedo).toBe(true);
    a.submit(['y']);
    expect(a.canRedo).toBe(false);
    expect(a.redo()).toBe(false);
    expect(a.data).toBe('y');
  });

  it('undo and redo are announced as local ops with their origin', () => {
    const { a } = editors('text', '');
    const origins: string[] = [];
    a.on('local-op', (e) => origins.push(e.origin));
    a.submit(['x']);
    a.undo();
    a.redo();
    expect(origins).toEqual(['user', 'undo', 'redo']);
  });

  it('a document opened with undo off has nothing to undo', () => {
    const net = new Net();
    net.server.createDoc('doc', 'text', '');
    const alice = net.client('alice', { doc: { undo: false } });
    const a = alice.open('doc');
    net.deliverAll();
    a.submit(['x']);
    expect(a.canUndo).toBe(false);
    expect(a.undo()).toBe(false);
    expect(a.data).toBe('x');
  });
});

describe('undo grouping', () => {
  it('edits closer together than groupMs are undone as one step', () => {
    const { clock, a } = editors('text', '', 500);
    a.submit(['a']);
    clock.advance(100);
    a.submit([1, 'b']);
    clock.advance(100);
    a.submit([2, 'c']);
    a.undo();
    expect(a.data).toBe('');
    expect(a.canUndo).toBe(false);
  });

  it('edits further apart than groupMs are separate steps', () => {
    const { clock, a } = editors('text', '', 500);
    a.submit(['a']);
    clock.advance(100);
    a.submit([1, 'b']);
    clock.advance(600);
    a.submit([2, 'c']);
    a.undo();
    expect(a.data).toBe('ab');
    a.undo();
    expect(a.data).toBe('');
  });

  it('the group window runs from the last edit, so steady typing stays one step', () => {
    const { clock, a } = editors('text', '', 500);
    for (const [i, ch] of [...'hello'].entries()) {
      a.submit(i === 0 ? [ch] : [i, ch]);
      clock.advance(400);
    }
    expect(a.data).toBe('hello');
    a.undo();
    expect(a.data).toBe('');
  });

  it("another user's op between two quick edits splits them into two steps", () => {
    const { net, clock, a, b } = editors('text', '', 500);
    a.submit(['a']);
    net.deliverAll();
    b.submit(['X']);
    net.deliverAll();
    clock.advance(100);
    a.submit([2, 'b']);
    a.undo();
    expect(a.data).toBe('Xa');
    a.undo();
    expect(a.data).toBe('X');
  });

  it('a redone group comes back whole', () => {
    const { clock, a } = editors('text', '', 500);
    a.submit(['a']);
    clock.advance(100);
    a.submit([1, 'b']);
    a.undo();
    a.redo();
    expect(a.data).toBe('ab');
    a.undo();
    expect(a.data).toBe('');
  });
});

describe('undo of other document types', () => {
  it("rich-text: undo removes this user's formatting and keeps another user's later insert", () => {
    const { net, a, b } = editors('rich-text', 'hello world');
    a.submit([{ retain: 5, attributes: { bold: true } }]);
    net.deliverAll();
    b.submit([{ retain: 11 }, { insert: '!' }]);
    net.deliverAll();
    expect(a.data).toEqual([{ insert: 'hello', attributes: { bold: true } }, { insert: ' world!' }]);
    a.undo();
    net.deliverAll();
    expect(a.data).toEqual([{ insert: 'hello world!' }]);
    expect(b.data).toEqual([{ insert: 'hello world!' }]);
    expect(net.server.snapshot('doc')).toEqual([{ insert: 'hello world!' }]);
  });

  it('rich-text: redo puts the formatting back', () => {
    const { net, a, b } = editors('rich-text', 'hello world');
    a.submit([{ retain: 5, attributes: { bold: true } }]);
    a.undo();
    a.redo();
    net.deliverAll();
    expect(b.data).toEqual([{ insert: 'hello', attributes: { bold: true } }, { insert: ' world' }]);
  });

  it('json1: undo removes the key this user inserted and keeps the key another user inserted after it', () => {
    const { net, a, b } = editors('json1', {});
    a.submit(['title', { i: 'Plan' }]);
    net.deliverAll();
    b.submit(['owner', { i: 'bob' }]);
    net.deliverAll();
    a.undo();
    net.deliverAll();
    expect(a.data).toEqual({ owner: 'bob' });
    expect(b.data).toEqual({ owner: 'bob' });
    expect(net.server.snapshot('doc')).toEqual({ owner: 'bob' });
  });

  it('json1: redo inserts the key again', () => {
    const { net, a, b } = editors('json1', {});
    a.submit(['title', { i: 'Plan' }]);
    net.deliverAll();
    b.submit(['owner', { i: 'bob' }]);
    net.deliverAll();
    a.undo();
    a.redo();
    net.deliverAll();
    expect(a.data).toEqual({ title: 'Plan', owner: 'bob' });
    expect(b.data).toEqual({ title: 'Plan', owner: 'bob' });
  });
});
