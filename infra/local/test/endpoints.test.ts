import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEndpoints } from '@tandem/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'tandem-endpoints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(content: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, content);
  return path;
}

describe('readEndpoints', () => {
  it('returns the entries of the servers that were started', () => {
    const path = file(
      JSON.stringify({ redis: { url: 'redis://127.0.0.1:20001' }, kafka: { brokers: ['127.0.0.1:20002'] } }),
    );
    const endpoints = readEndpoints(path);
    expect(endpoints.redis.url).toBe('redis://127.0.0.1:20001');
    expect(endpoints.kafka.brokers).toEqual(['127.0.0.1:20002']);
  });

  it('throws, naming the server and the command, when a server was not started', () => {
    const endpoints = readEndpoints(file(JSON.stringify({ redis: { url: 'redis://127.0.0.1:20001' } })));
    expect(() => endpoints.redisCluster).toThrow(/No redisCluster server in .*pnpm infra:up redis-cluster/);
  });

  it('throws, saying what to run, when there is no file', () => {
    expect(() => readEndpoints(join(dir, 'missing.json'))).toThrow(/No endpoints file .*run `pnpm infra:up`/);
  });

  it('throws on an entry of the wrong shape', () => {
    expect(() => readEndpoints(file(JSON.stringify({ kafka: { brokers: 'one' } })))).toThrow(/malformed/);
  });
});
