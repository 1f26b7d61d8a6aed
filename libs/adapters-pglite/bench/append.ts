/**
 * Op log append throughput on an on-disk PGlite, for batch sizes 1, 10 and 100, with
 * fsync on (openPglite's default) and off.
 *
 *   npx tsx --conditions=@tandem/source libs/adapters-pglite/bench/append.ts [seconds per size]
 *
 * One document, one writer, each append awaited before the next: the commit pipeline's
 * pattern, where a batch is the ops that arrived while the previous append was in flight.
 * Prints appends/s (calls), ops/s and the latency of one append.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpRecord } from '@tandem/core';
import { openPglite, PgliteOpLog } from '../src/index.js';

const seconds = Number(process.argv[2] ?? '5');
const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-append-'));

function batch(from: number, size: number): OpRecord[] {
  const records: OpRecord[] = [];
  for (let i = 0; i < size; i += 1) {
    const version = from + i;
    // A typical keystroke: skip to a position, insert a character.
    records.push({
      version,
      op: [version * 7, 'a'],
      author: 'user-bench',
      clientId: 'client-bench',
      seq: version,
      ts: Date.now(),
    });
  }
  return records;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

console.log(
  `PGlite on disk (${dir}), Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
);
try {
  await run();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function run(): Promise<void> {
  for (const fsync of [true, false]) {
    const db = await openPglite(join(dir, fsync ? 'fsync' : 'no-fsync'), { fsync });
    try {
      const log = new PgliteOpLog(db);
      console.log(`\nfsync ${fsync ? 'on' : 'off'}\nbatch  appends/s     ops/s   p50 ms   p99 ms`);
      for (const size of [1, 10, 100]) {
        const docId = `bench-${size}`;
        let version = 1;
        // Warm-up: the first statements plan, and the table's first pages are allocated.
        for (let i = 0; i < 20; i += 1, version += size) await log.append(docId, batch(version, size));
        const latencies: number[] = [];
        const start = performance.now();
        while (performance.now() - start < seconds * 1_000) {
          const records = batch(version, size);
          const t = performance.now();
          await log.append(docId, records);
          latencies.push(performance.now() - t);
          version += size;
        }
        const elapsed = (performance.now() - start) / 1_000;
        latencies.sort((a, b) => a - b);
        const appends = latencies.length / elapsed;
        console.log(
          `${String(size).padStart(5)}  ${appends.toFixed(0).padStart(9)}  ${(appends * size).toFixed(0).padStart(8)}` +
            `  ${percentile(latencies, 50).toFixed(2).padStart(7)}  ${percentile(latencies, 99).toFixed(2).padStart(7)}`,
        );
      }
    } finally {
      await db.close();
    }
  }
}
