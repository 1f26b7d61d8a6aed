import { isTandemError } from '@tandem/errors';
import { describe, expect, it } from 'vitest';
import { connectRedis } from '../src/index.js';

describe('connectRedis', () => {
  it('fails at once with UNAVAILABLE naming the address, without its password, when nothing answers', async () => {
    const error = await connectRedis({ url: 'redis://:s3cret@127.0.0.1:1' }).catch((e: unknown) => e);
    expect(isTandemError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is unreachable: /);
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('fails with UNAVAILABLE naming the nodes when no cluster node answers', async () => {
    const error = await connectRedis({ nodes: [{ host: '127.0.0.1', port: 1 }] }).catch((e: unknown) => e);
    expect(isTandemError(error, 'UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toMatch(/^Redis at 127\.0\.0\.1:1 is unreachable: /);
  });
});
