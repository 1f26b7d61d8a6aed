/**
 * Elasticsearch's CPU per upsert when many documents are re-indexed at once, as the search
 * indexer does on its 500 ms grid: every 500 ms, 100 documents of about 500 characters are
 * upserted together, for 20 s, on the Elasticsearch of `pnpm infra:up`.
 *
 *   pnpm --filter @tandem/adapters-elasticsearch bench:upserts [documents] [seconds]
 *
 * Prints Elasticsearch's CPU seconds over the run (user + system time of its processes, the
 * launcher and the server it starts, from /proc), the same over as long a pause before it
 * (what Elasticsearch spends idle: refreshes, housekeeping, other users of the shared
 * server), and the CPU per upsert in µs. The JVM's JIT compiler and garbage collector are
 * shown apart: the compiler's share varies from run to run by more than the indexing itself
 * (it recompiles code paths long after start), so the line to compare between runs is
 * "indexing", Elasticsearch's own threads. A warm-up of a quarter of the run goes first, so
 * that the code paths measured are compiled. Other work on the machine's cores makes the
 * figures noisy: compare runs made back to back. Works in an index of its own, deleted at
 * the end.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLK_TCK, processTree, Random, readEndpoints, serverPids } from '@tandem/testkit';
import {
  createElasticsearchClient,
  type ElasticsearchSearchIndex,
  openElasticsearchSearchIndex,
} from '../src/index.js';

const DOCS = Number(process.argv[2] ?? '100');
const SECONDS = Number(process.argv[3] ?? '20');
const GRID_MS = 500;
const CHARS = 500;
const SEED = 20_250_404;

/**
 * A /proc stat file: the command (a thread's name) and the fields after it, state first; so
 * field n of proc(5) is fields[n - 3]. Undefined when the process or thread is gone.
 */
function readStat(path: string): { name: string; fields: string[] } | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    // The name is in parentheses and may hold spaces and parentheses.
    const end = text.lastIndexOf(')');
    return { name: text.slice(text.indexOf('(') + 1, end), fields: text.slice(end + 2).split(' ') };
  } catch {
    return undefined;
  }
}

/** User + system CPU ticks in a stat file (utime and stime, fields 14 and 15). */
const ticks = (fields: string[]) => Number(fields[11]) + Number(fields[12]);

interface Cpu {
  total: number;
  jit: number;
  gc: number;
}

/**
 * CPU seconds of these processes so far: in all, and in the JVM's compiler threads
 * ("C2 CompilerThre") and collector threads ("GC Thread#0", "G1 Conc#0"). A thread that
 * ends between two readings takes its time out of its group: the JVM starts and stops
 * compiler threads as their queue grows and shrinks, so the indexing line may carry a
 * little of the compiler's time.
 */
function cpu(pids: readonly number[]): Cpu {
  const sum: Cpu = { total: 0, jit: 0, gc: 0 };
  for (const pid of pids) {
    const stat = readStat(`/proc/${pid}/stat`);
    if (!stat) continue;
    sum.total += ticks(stat.fields);
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const thread = readStat(`/proc/${pid}/task/${tid}/stat`);
      if (thread === undefined) continue;
      if (/^C\d CompilerThre/.test(thread.name)) sum.jit += ticks(thread.fields);
      else if (/^(GC |G1 )/.test(thread.name)) sum.gc += ticks(thread.fields);
    }
  }
  return { total: sum.total / CLK_TCK, jit: sum.jit / CLK_TCK, gc: sum.gc / CLK_TCK };
}

function since(from: Cpu, to: Cpu): Cpu {
  return { total: to.total - from.total, jit: to.jit - from.jit, gc: to.gc - from.gc };
}

const rng = new Random(SEED);
const vocabulary = Array.from(
  { length: 2_000 },
  (_, i) => `w${i.toString(36)}${rng.pick(['a', 'é', 'o', 'ü'])}`,
);
/** About CHARS characters of words, new at every round as if the documents were being edited. */
function text(): string {
  const words: string[] = [];
  for (let length = 0; length < CHARS; length += (words.at(-1)?.length ?? 0) + 1) {
    words.push(rng.pick(vocabulary));
  }
  return words.join(' ');
}

/** Upserts every document together every GRID_MS for `seconds`; returns the upserts made. */
async function upsertOnGrid(index: ElasticsearchSearchIndex, seconds: number): Promise<number> {
  const started = performance.now();
  let upserts = 0;
  for (let round = 0; round < (seconds * 1_000) / GRID_MS; round += 1) {
    await sleep(Math.max(0, started + round * GRID_MS - performance.now()));
    await Promise.all(
      Array.from({ length: DOCS }, (_, i) =>
        index.upsert({ docId: `doc-${i}`, title: `Doc ${i}`, content: text() }),
      ),
    );
    upserts += DOCS;
  }
  return upserts;
}

const { node, version } = readEndpoints().elasticsearch;
const indexName = `tandem-bench-upserts-${Date.now().toString(36)}`;
// The launcher of each node and the server it starts.
const pids = processTree(serverPids('elasticsearch'));
console.log(
  `Elasticsearch ${version} at ${node} (pids ${pids.join(', ')}), Node ${process.version}; ` +
    `${DOCS} documents of ~${CHARS} characters upserted together every ${GRID_MS} ms for ${SECONDS} s`,
);

const index = await openElasticsearchSearchIndex({
  node,
  index: indexName,
  replicas: 0,
  readable: async () => [],
});
try {
  await upsertOnGrid(index, SECONDS / 4);

  const idleFrom = cpu(pids);
  await sleep(SECONDS * 1_000);
  const idle = since(idleFrom, cpu(pids));

  const from = cpu(pids);
  const nodeFrom = process.cpuUsage();
  const started = performance.now();
  const upserts = await upsertOnGrid(index, SECONDS);
  const elapsed = (performance.now() - started) / 1_000;
  const busy = since(from, cpu(pids));
  const nodeCpu = process.cpuUsage(nodeFrom);

  const row = (label: string, pick: (cpu: Cpu) => number) => {
    const perUpsertUs = ((pick(busy) - (pick(idle) * elapsed) / SECONDS) * 1e6) / upserts;
    console.log(
      `${label.padEnd(20)}${pick(idle).toFixed(2).padStart(8)}${pick(busy).toFixed(2).padStart(10)}` +
        `${perUpsertUs.toFixed(0).padStart(12)}`,
    );
  };
  console.log(`\n${upserts} upserts in ${elapsed.toFixed(1)} s`);
  console.log(`Elasticsearch CPU s     idle   upserts   µs/upsert (above idle)`);
  row('total', (c) => c.total);
  row('  JIT compiler', (c) => c.jit);
  row('  garbage collector', (c) => c.gc);
  row('  indexing', (c) => c.total - c.jit - c.gc);
  console.log(`this process's CPU per upsert: ${Math.round((nodeCpu.user + nodeCpu.system) / upserts)} µs`);
} finally {
  const admin = createElasticsearchClient({ node });
  await admin.indices.delete({ index: indexName }, { ignore: [404] });
  await admin.close();
  await index.close();
}
