import { CallBatcher } from '@tandem/core';
import { describe, expect, it } from 'vitest';

/** A batcher that records its batches; `fail` makes the next batch throw. */
function recording(keyOf?: (item: string) => string) {
  const batches: string[][] = [];
  const control = { fail: false };
  const batcher = new CallBatcher<string, string>(async (items) => {
    batches.push(items);
    await new Promise((resolve) => setImmediate(resolve));
    if (control.fail) {
      control.fail = false;
      throw new Error('batch failed');
    }
    return items.map((item) => item.toUpperCase());
  }, keyOf);
  return { batcher, batches, control };
}

describe('CallBatcher', () => {
  it('runs the calls of one turn as one batch, each getting its own result', async () => {
    const { batcher, batches } = recording();
    const results = await Promise.all(['a', 'b', 'c'].map((item) => batcher.call(item)));
    expect(results).toEqual(['A', 'B', 'C']);
    expect(batches).toEqual([['a', 'b', 'c']]);
  });

  it('gathers the calls made while a batch runs into the next one, in order', async () => {
    const { batcher, batches } = recording();
    const first = batcher.call('a');
    await new Promise((resolve) => setImmediate(resolve));
    const later = ['b', 'c'].map((item) => batcher.call(item));
    expect(await Promise.all([first, ...later])).toEqual(['A', 'B', 'C']);
    expect(batches).toEqual([['a'], ['b', 'c']]);
  });

  it('fails every call of a failed batch and goes on with the next', async () => {
    const { batcher, batches, control } = recording();
    control.fail = true;
    const failed = Promise.allSettled(['a', 'b'].map((item) => batcher.call(item)));
    await new Promise((resolve) => setImmediate(resolve));
    const next = batcher.call('c');
    expect((await failed).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await next).toBe('C');
    expect(batches).toEqual([['a', 'b'], ['c']]);
  });

  it('never puts two calls with the same key in one batch', async () => {
    const { batcher, batches } = recording((item) => item.slice(0, 1));
    const results = await Promise.all(['a1', 'b1', 'a2', 'a3', 'b2'].map((item) => batcher.call(item)));
    expect(results).toEqual(['A1', 'B1', 'A2', 'A3', 'B2']);
    expect(batches).toEqual([['a1', 'b1'], ['a2', 'b2'], ['a3']]);
  });
});
