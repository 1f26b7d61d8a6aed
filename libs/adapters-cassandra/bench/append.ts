/**
 * Op log append throughput on the Cassandra of `pnpm infra:up`, for batches of 1 and 10 ops,
 * one document and 100 documents appended to concurrently.
 *
 *   pnpm --filter @tandem/adapters-cassandra bench [seconds per case]
 *
 * Each document has one writer that awaits each append before the next: the commit
 * pipeline's pattern, where a batch is the ops that arrived while the previous append was in
 * flight. Prints appends/s, ops/s, the latency of one append, and the CPU spent per op by
 * this process and by Cassandra (found by its CQL port). Works in a keyspace of its own,
 * dropped at the end.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { OpRecord } from '@tandem/core';
import { readEndpoints } from '@tandem/testkit';
import {
  CassandraOpLog,
  type CassandraOptions,
  connectCassandra,
  createCassandraClient,
  migrateCassandra,
} from '../src/index.js';

const seconds = Number(process.argv[2] ?? '5');
const { contactPoints, localDataCenter } = readEndpoints().cassandra;
const options: CassandraOptions = {
  contactPoints,
  localDataCenter,
  keyspace: `tandem_bench_${Date.now().toString(36)}`,
};

function batch(clientId: string, from: number, size: number): OpRecord[] {
  const records: OpRecord[] = [];
  for (let i = 0; i < size; i += 1) {
    const version = from + i;
    // A typical keystroke: skip to a position, insert a character.
    records.push({
      version,
      op: [version * 7, 'a'],
      author: 'user-bench',
      clientId,
      seq: version,
      ts: Date.now(),
    });
  }
  return records;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** The pid listening on Cassandra's CQL port, to read its CPU time from /proc; undefined if ss cannot tell. */
function cassandraPid(): number | undefined {
  const port = contactPoints[0]?.split(':')[1] ?? '9042';
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const pid = /pid=(\d+)/.exec(out)?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

const pid = cassandraPid();
console.log(
  `Cassandra at ${contactPoints.join(', ')} (pid ${pid ?? 'unknown'}), Node ${process.version}, ` +
    `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${seconds} s per case`,
);
await migrateCassandra(options);
const client = await connectCassandra(options);
try {
  const log = await CassandraOpLog.open(client);
  console.log(
    '\ndocs  batch  appends/s     ops/s   p50 ms   p99 ms   wall µs/op   node CPU µs/op   cassandra CPU µs/op',
  );
  for (const docs of [1, 100]) {
    for (const size of [1, 10]) await run(log, docs, size);
  }
} finally {
  await client.shutdown();
  const admin = createCassandraClient(options, null);
  await admin.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
  await admin.shutdown();
}

async function run(log: CassandraOpLog, docs: number, size: number): Promise<void> {
  const ids = Array.from({ length: docs }, (_, i) => `bench-${docs}-${size}-${i}`);
  const next = new Map(ids.map((id) => [id, 1]));
  const appendNext = async (id: string) => {
    const version = next.get(id) ?? 1;
    await log.append(id, batch(`client-${id}`, version, size));
    next.set(id, version + size);
  };
  // Warm-up: statements are prepared, connections and the JIT warm.
  for (let i = 0; i < 20; i += 1) await Promise.all(ids.map(appendNext));

  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const cassandraBefore = pid === undefined ? undefined : cpuSeconds(pid);
  const start = performance.now();
  await Promise.all(
    ids.map(async (id) => {
      while (performance.now() - start < seconds * 1_000) {
        const t = performance.now();
        await appendNext(id);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1_000;
  const cpu = process.cpuUsage(cpuBefore);
  const cassandraCpu =
    pid === undefined || cassandraBefore === undefined ? Number.NaN : cpuSeconds(pid) - cassandraBefore;
  latencies.sort((a, b) => a - b);
  const appends = latencies.length;
  const ops = appends * size;
  console.log(
    `${String(docs).padStart(4)}  ${String(size).padStart(5)}  ${(appends / elapsed).toFixed(0).padStart(9)}` +
      `  ${(ops / elapsed).toFixed(0).padStart(8)}  ${percentile(latencies, 50).toFixed(2).padStart(7)}` +
      `  ${percentile(latencies, 99).toFixed(2).padStart(7)}  ${((elapsed * 1e6) / ops).toFixed(1).padStart(11)}` +
      `  ${((cpu.user + cpu.system) / ops).toFixed(1).padStart(15)}` +
      `  ${((cassandraCpu * 1e6) / ops).toFixed(1).padStart(20)}`,
  );
}
