import { describe, expect, it } from 'vitest';
import { Outbox } from '../src/outbox.js';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('Outbox', () => {
  it('sends a lone message as its own frame, at the end of the turn', async () => {
    const frames: string[] = [];
    const outbox = new Outbox((frame) => frames.push(frame));
    outbox.push('{"type":"pong","t":1}');
    expect(frames).toEqual([]);
    await turn();
    expect(frames).toEqual(['{"type":"pong","t":1}']);
  });

  it('sends the messages of one turn as one frame holding their array, in order', async () => {
    const frames: string[] = [];
    const outbox = new Outbox((frame) => frames.push(frame));
    for (let v = 1; v <= 3; v++) outbox.push(JSON.stringify({ type: 'ack', docId: 'd', seq: v, version: v }));
    await turn();
    expect(frames).toHaveLength(1);
    expect(JSON.parse(frames[0] as string).map((m: { version: number }) => m.version)).toEqual([1, 2, 3]);
    outbox.push('{"type":"pong","t":2}');
    await turn();
    expect(frames[1]).toBe('{"type":"pong","t":2}');
  });

  it('flushes on demand, before a close, so nothing queued is lost', () => {
    const frames: string[] = [];
    const outbox = new Outbox((frame) => frames.push(frame));
    outbox.push('{"type":"redirect","reason":"r","retryAfterMs":0}');
    outbox.flush();
    expect(frames).toEqual(['{"type":"redirect","reason":"r","retryAfterMs":0}']);
    outbox.flush();
    expect(frames).toHaveLength(1);
  });

  it('starts a new frame before one would pass 256 KiB', async () => {
    const frames: string[] = [];
    const outbox = new Outbox((frame) => frames.push(frame));
    const big = JSON.stringify({ type: 'pong', t: 1, pad: 'x'.repeat(100_000) });
    for (let i = 0; i < 4; i++) outbox.push(big);
    await turn();
    expect(frames.length).toBe(2);
    for (const frame of frames) expect(frame.length).toBeLessThanOrEqual(256 * 1024);
    expect(frames.flatMap((f) => JSON.parse(f))).toHaveLength(4);
  });
});
