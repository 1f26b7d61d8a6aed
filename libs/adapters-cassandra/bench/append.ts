/**
 * Op log appends on the Cassandra of `pnpm infra:up`.
 *
 *   pnpm --filter @tandem/adapters-cassandra bench [seconds per case]
 *
 * Closed loop: batches of 1 and 10 ops, one document and 100 documents appended to
 * concurrently, each document's writer awaiting each append before the next (the commit
 * pipeline's pattern, where a batch is the ops that arrived while the previous append was in
 * flight). Prints appends/s, ops/s, the latency of one append, and the CPU spent per op by
 * this process and by Cassandra.
 *
 * Open loop: single-op appends over 100 documents at fixed rates, as a cluster's workers send
 * them. Prints Cassandra's CPU per second and per append at each rate: how much of its cost is
 * being kept awake rather than the appends themselves.
 *
 * Works in a keyspace of its own, dropped at the end.
 */
import { cpus } from 'node:os';
import type { OpRecord } from '@tandem/core';
import { processTree, readEndpoints, serverPids, totalCpuSeconds } from '@tandem/testkit';
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

const pids = processTree(serverPids('cassandra'));
const cassandraCpu = () => totalCpuSeconds(pids);
console.log(
  `Cassandra at ${contactPoints.join(', ')} (pids ${pids.join(', ')}), Node ${process.version}, ` +
    `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${seconds} s per case`,
);
await migrateCassandra(options);
const client = await connectCassandra(options);
try {
  const log = await CassandraOpLog.open(client);
  // First, while Cassandra has no flushes or compactions of the closed loop's data to do.
  console.log(
    '\nopen loop, 100 docs, 1 op per append\nappends/s offered  done/s   cassandra CPU %   cassandra CPU µs/append',
  );
  for (const rate of [0, 30, 100, 300, 1000, 3000]) await atRate(log, rate);
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
  const cassandraBefore = cassandraCpu();
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
  const cassandraUsed = cassandraCpu() - cassandraBefore;
  latencies.sort((a, b) => a - b);
  const appends = latencies.length;
  const ops = appends * size;
  console.log(
    `${String(docs).padStart(4)}  ${String(size).padStart(5)}  ${(appends / elapsed).toFixed(0).padStart(9)}` +
      `  ${(ops / elapsed).toFixed(0).padStart(8)}  ${percentile(latencies, 50).toFixed(2).padStart(7)}` +
      `  ${percentile(latencies, 99).toFixed(2).padStart(7)}  ${((elapsed * 1e6) / ops).toFixed(1).padStart(11)}` +
      `  ${((cpu.user + cpu.system) / ops).toFixed(1).padStart(15)}` +
      `  ${((cassandraUsed * 1e6) / ops).toFixed(1).padStart(20)}`,
  );
}

/** Appends one op at a time to 100 documents at `rate` appends/s for `seconds`, without waiting for each. */
async function atRate(log: CassandraOpLog, rate: number): Promise<void> {
  const next = new Map<string, number>();
  let sent = 0;
  let done = 0;
  const appendOne = async () => {
    const id = `rate-${rate}-${sent % 100}`;
    const version = next.get(id) ?? 1;
    next.set(id, version + 1);
    sent += 1;
    await log.append(id, batch(`client-${id}`, version, 1));
    done += 1;
  };
  const before = cassandraCpu();
  const start = performance.now();
  const pending: Promise<void>[] = [];
  while (performance.now() - start < seconds * 1_000) {
    const due = Math.floor(((performance.now() - start) / 1_000) * rate);
    while (sent < due) pending.push(appendOne());
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1_000;
  const used = cassandraCpu() - before;
  const perAppend = done === 0 ? '-' : ((used * 1e6) / done).toFixed(0);
  console.log(
    `${String(rate).padStart(17)}  ${(done / elapsed).toFixed(0).padStart(6)}` +
      `  ${((100 * used) / elapsed).toFixed(1).padStart(16)}  ${perAppend.padStart(24)}`,
  );
}
