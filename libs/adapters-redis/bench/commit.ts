/**
 * Throughput of the Lua commit (RedisDocStateStore.commit) against the Redis servers of
 * `pnpm infra:up`:
 *
 *   npx tsx --conditions=@tandem/source libs/adapters-redis/bench/commit.ts [seconds] [server|cluster]
 *
 * Two patterns, one op per commit (a keystroke): one document with one committer that
 * awaits each commit before the next (the pipeline's pattern per document), and 100
 * documents committed in parallel (100 such committers on one connection). Prints
 * commits/s, wall µs per commit, the latency of one commit, and the CPU per commit of
 * this process and of Redis (from INFO, summed over the masters of a cluster).
 */
import { cpus } from 'node:os';
import type { OpRecord } from '@tandem/core';
import { readEndpoints } from '@tandem/testkit';
import type { Cluster, Redis } from 'ioredis';
import { connectRedis, type RedisClient, RedisDocStateStore } from '../src/index.js';

const seconds = Number(process.argv[2] ?? '5');
const topology = process.argv[3] ?? 'server';
if (topology !== 'server' && topology !== 'cluster') throw new Error(`Unknown topology ${topology}`);

const endpoints = readEndpoints();
const client = await connectRedis(
  topology === 'server' ? { url: endpoints.redis.url } : { nodes: endpoints.redisCluster.nodes },
  { name: 'tandem-bench' },
);
const store = new RedisDocStateStore(client, { prefix: 'tandem-bench', idleTtlMs: 10 * 60_000 });
const run = Date.now().toString(36);

function record(version: number): OpRecord {
  return {
    version,
    op: [version * 7, 'a'],
    author: 'user-bench',
    clientId: 'client-bench',
    seq: version,
    ts: Date.now(),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** CPU seconds Redis has used so far, over every master. */
async function redisCpuSeconds(redis: RedisClient): Promise<number> {
  const servers: Redis[] = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  const infos = await Promise.all(servers.map((s) => s.info('cpu')));
  const field = (info: string, name: string) =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return infos.reduce((sum, info) => sum + field(info, 'used_cpu_sys') + field(info, 'used_cpu_user'), 0);
}

/** Runs one committer per document for `seconds`, each awaiting its commit before the next. */
async function measure(docs: number): Promise<void> {
  const ids = Array.from({ length: docs }, (_, i) => `bench-${run}-${docs}-${i}`);
  const warmUp = 20;
  // Warm-up: the scripts are loaded and the connection's buffers grown before timing.
  await Promise.all(
    ids.map(async (id) => {
      for (let head = 0; head < warmUp; head += 1) await store.commit(id, head, [record(head + 1)]);
    }),
  );
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const redisBefore = await redisCpuSeconds(client);
  const start = performance.now();
  const deadline = start + seconds * 1_000;
  await Promise.all(
    ids.map(async (id) => {
      for (let head = warmUp; performance.now() < deadline; head += 1) {
        const t = performance.now();
        const outcome = await store.commit(id, head, [record(head + 1)]);
        latencies.push(performance.now() - t);
        if (!outcome.ok) throw new Error(`Lost a commit race on ${id}, a document no one else writes`);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  const redisCpu = (await redisCpuSeconds(client)) - redisBefore;
  const commits = latencies.length;
  latencies.sort((a, b) => a - b);
  const us = (secondsPerCommit: number) => (secondsPerCommit * 1e6).toFixed(1).padStart(9);
  console.log(
    `${String(docs).padStart(4)}  ${(commits / elapsed).toFixed(0).padStart(9)}  ${us(elapsed / commits)}` +
      `  ${percentile(latencies, 50).toFixed(3).padStart(7)}  ${percentile(latencies, 99).toFixed(3).padStart(7)}` +
      `  ${us((cpu.user + cpu.system) / 1e6 / commits)}  ${us(redisCpu / commits)}`,
  );
}

console.log(
  `Lua commit on ${topology === 'server' ? `Redis ${endpoints.redis.url}` : 'a 3-master Redis Cluster'}, ` +
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${seconds} s per row, one op per commit`,
);
console.log('docs  commits/s  µs/commit  p50 ms   p99 ms  node µs cpu  redis µs cpu');
try {
  await measure(1);
  await measure(100);
} finally {
  await client.quit();
}
