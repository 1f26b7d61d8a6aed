import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CassandraOpLog,
  connectCassandra,
  createCassandraClient,
  migrateCassandra,
} from '@tandem/adapters-cassandra';
import { InProcessFanOut, MemoryDocStateStore } from '@tandem/adapters-memory';
import { JournaledOpLog, openPglite, PgliteOpLog } from '@tandem/adapters-pglite';
import { connectRedis, RedisDocStateStore } from '@tandem/adapters-redis';
import { openS3SnapshotStore, type S3SnapshotStoreOptions } from '@tandem/adapters-s3';
import { SqlMetadataStore, SqlSnapshotStore } from '@tandem/adapters-sql';
import {
  CollabEngine,
  type DocStateStore,
  type EventBus,
  type MetadataStore,
  type OpLog,
  type OpRecord,
  type SnapshotStore,
  silentLog,
} from '@tandem/core';
import { textType } from '@tandem/ot';
import { snapshotsUpTo } from '@tandem/snapshotter';
import { Random, readEndpoints, seedFromEnv } from '@tandem/testkit';
import { num, table } from './report.js';
import { forkScript } from './targets/child-process.js';

/**
 * pnpm bench:open [--mode=embedded|distributed] — issue 5's benchmark: a text document of
 * about 1,000,000 characters with 100,099 ops of history (generated: each op deletes 0-3
 * characters at a random place and inserts 10 more than it deleted), its snapshots written
 * as the snapshotter writes them (snapshotsUpTo, every 100 ops), and the last 99 ops after
 * the latest snapshot: the longest tail a document has between two snapshots.
 *
 * Each run is a new process with a new engine and empty memory that opens the stores (not
 * timed), then times opening the document (the latest snapshot plus the tail) and the
 * content at VERSIONS random old versions. Prints the medians over RUNS runs (default 5).
 *
 * embedded: PGlite on disk in a temporary directory, opened as the standalone server opens
 * it (fsync on, the op log journaled), the state store in memory. distributed: the Cassandra
 * op log, S3 snapshots and Redis document state of `pnpm infra:up`, in a keyspace, key prefix
 * and Redis prefix of the run's own, removed afterwards.
 */

const OPS = 100_000;
const EVERY_OPS = 100;
const TAIL = EVERY_OPS - 1;
const DOC_ID = 'bench-open';

type Mode = 'embedded' | 'distributed';

/** Where a run finds the stores. */
interface Stores {
  mode: Mode;
  /** embedded: the data directory. */
  dir?: string;
  /** distributed: the keyspace, S3 key prefix and Redis prefix. */
  namespace?: string;
}

interface RunResult {
  openMs: number;
  /** CPU time of the measuring process during the open: its own cost, whatever else runs on the machine. */
  openCpuMs: number;
  version: number;
  length: number;
  sha256: string;
  oldVersions: { version: number; ms: number; cpuMs: number; length: number }[];
}

interface Opened {
  opLog: OpLog;
  snapshots: SnapshotStore;
  state: DocStateStore;
  metadata?: Pick<MetadataStore, 'snapshotState' | 'create'>;
  close(): Promise<void>;
}

const noEvents: EventBus = { publish: async () => {}, subscribe: () => () => {} };

function s3Options(namespace: string): S3SnapshotStoreOptions {
  const { s3 } = readEndpoints();
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: s3.forcePathStyle,
    bucket: s3.bucket,
    prefix: `${namespace}/`,
  };
}

function cassandraOptions(namespace: string) {
  const { cassandra } = readEndpoints();
  return {
    contactPoints: cassandra.contactPoints,
    localDataCenter: cassandra.localDataCenter,
    keyspace: namespace,
  };
}

/** The stores as the service of the mode opens them. `build`: PGlite without fsync (faster to fill). */
async function openStores(stores: Stores, build: boolean): Promise<Opened> {
  if (stores.mode === 'embedded') {
    const dir = stores.dir as string;
    const db = await openPglite(join(dir, 'pg'), { fsync: !build });
    const pglite = new PgliteOpLog(db);
    const opLog = build ? pglite : await JournaledOpLog.open(pglite, { dir: join(dir, 'journal') });
    return {
      opLog,
      snapshots: new SqlSnapshotStore(db),
      state: new MemoryDocStateStore(),
      metadata: new SqlMetadataStore(db),
      async close() {
        if (opLog instanceof JournaledOpLog) await opLog.close();
        await db.close();
      },
    };
  }
  const namespace = stores.namespace as string;
  if (build) await migrateCassandra({ ...cassandraOptions(namespace), replicationFactor: 1 });
  const cassandra = await connectCassandra(cassandraOptions(namespace));
  const snapshots = await openS3SnapshotStore(s3Options(namespace));
  const redis = await connectRedis(
    { url: readEndpoints().redis.url },
    { name: 'bench-open', log: silentLog },
  );
  return {
    opLog: await CassandraOpLog.open(cassandra),
    snapshots,
    state: new RedisDocStateStore(redis, { prefix: namespace }),
    async close() {
      snapshots.close();
      redis.disconnect();
      await cassandra.shutdown();
    },
  };
}

/** Lowercase words and spaces: text that compresses like prose, not like noise. */
function words(random: Random, length: number): string {
  let out = '';
  while (out.length < length) out += random.bool(0.18) ? ' ' : String.fromCharCode(97 + random.int(26));
  return out;
}

/** The history: each op deletes 0-3 characters somewhere and inserts 10 more than it deleted. */
function generateOps(random: Random, count: number): OpRecord[] {
  const records: OpRecord[] = [];
  let length = 0;
  const ts = Date.now();
  for (let version = 1; version <= count; version++) {
    const pos = random.int(length + 1);
    const del = Math.min(random.int(4), length - pos);
    const op: unknown[] = [];
    if (pos > 0) op.push(pos);
    if (del > 0) op.push({ d: del });
    op.push(words(random, 10 + del));
    records.push({ version, op, author: 'bench', clientId: 'bench', seq: version, ts: ts + version });
    length += 10;
  }
  return records;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Fills the stores: version 0, the op log, the snapshots as the snapshotter writes them, then the tail. */
async function build(
  stores: Stores,
  random: Random,
): Promise<{ sha256: string; length: number; snapshots: number }> {
  const opened = await openStores(stores, true);
  try {
    await opened.metadata?.create({ id: DOC_ID, title: 'bench', type: 'text', ownerId: 'bench' });
    await opened.snapshots.put({ docId: DOC_ID, version: 0, type: 'text', data: '' });
    const records = generateOps(random, OPS + TAIL);
    for (let i = 0; i < OPS; i += 1000) await opened.opLog.append(DOC_ID, records.slice(i, i + 1000));
    const metadata = opened.metadata ?? { snapshotState: async () => null };
    let last: unknown = '';
    let written = 0;
    const started = performance.now();
    for await (const step of snapshotsUpTo(
      { snapshots: opened.snapshots, opLog: opened.opLog, metadata, log: silentLog },
      DOC_ID,
      OPS,
      EVERY_OPS,
    )) {
      await opened.snapshots.put(step.snapshot);
      last = step.snapshot.data;
      written += 1;
    }
    console.log(
      `  ${written} snapshots of up to ${num((last as string).length)} characters in ${num((performance.now() - started) / 1000, 1)} s`,
    );
    await opened.opLog.append(DOC_ID, records.slice(OPS));
    const final = records.slice(OPS).reduce((doc, r) => textType.apply(doc, r.op as never), last as string);
    return { sha256: sha256(final), length: final.length, snapshots: written };
  } finally {
    await opened.close();
  }
}

/** One run, in a process of its own (see main): opens the stores, then times the document. */
async function measure(stores: Stores, versions: number[]): Promise<RunResult> {
  const opened = await openStores(stores, false);
  const engine = new CollabEngine({
    state: opened.state,
    opLog: opened.opLog,
    snapshots: opened.snapshots,
    fanOut: new InProcessFanOut(),
    events: noEvents,
    ...(opened.metadata ? { metadata: opened.metadata } : {}),
  });
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const doc = await engine.open(DOC_ID);
    const openMs = performance.now() - t0;
    const openCpuMs = cpuMsSince(cpu0);
    const oldVersions: RunResult['oldVersions'] = [];
    for (const version of versions) {
      const t1 = performance.now();
      const cpu1 = process.cpuUsage();
      const content = (await engine.contentAt(DOC_ID, version)) as string;
      oldVersions.push({
        version,
        ms: performance.now() - t1,
        cpuMs: cpuMsSince(cpu1),
        length: content.length,
      });
    }
    const snapshot = doc.snapshot as string;
    return {
      openMs,
      openCpuMs,
      version: doc.version,
      length: snapshot.length,
      sha256: sha256(snapshot),
      oldVersions,
    };
  } finally {
    await engine.close();
    await opened.close();
  }
}

async function cleanUp(stores: Stores): Promise<void> {
  if (stores.mode === 'embedded') {
    await rm(stores.dir as string, { recursive: true, force: true });
    return;
  }
  const namespace = stores.namespace as string;
  const opened = await openStores(stores, false);
  try {
    await opened.snapshots.purge(DOC_ID);
    await opened.state.drop(DOC_ID);
  } finally {
    await opened.close();
  }
  const admin = createCassandraClient(cassandraOptions(namespace), null);
  try {
    await admin.execute(`DROP KEYSPACE IF EXISTS ${namespace}`);
  } finally {
    await admin.shutdown();
  }
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function bytesUnder(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(
    entries.filter((e) => e.isFile()).map(async (e) => (await stat(join(e.parentPath, e.name))).size),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}

function runChild(stores: Stores, versions: number[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = forkScript('bench-open.ts', { BENCH_OPEN_RUN: JSON.stringify({ stores, versions }) });
    child.once('message', (message) => resolve(message as RunResult));
    child.once('exit', (code) => reject(new Error(`the measuring process exited with ${code}`)));
    child.once('error', reject);
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const modeArg = args.find((a) => a.startsWith('--mode='))?.slice('--mode='.length) ?? 'embedded';
  if (modeArg !== 'embedded' && modeArg !== 'distributed') {
    console.error(`--mode must be embedded or distributed, not ${modeArg}`);
    process.exit(2);
  }
  const mode: Mode = modeArg;
  const runs = Number(process.env.RUNS ?? 5);
  const perRun = Number(process.env.VERSIONS ?? 20);
  const seed = seedFromEnv('SEED', 1);
  const random = new Random(seed);
  const stores: Stores =
    mode === 'embedded'
      ? { mode, dir: await mkdtemp(join(tmpdir(), 'tandem-bench-open-')) }
      : { mode, namespace: `bench_open_${randomBytes(4).toString('hex')}` };
  console.log(`bench:open, ${mode} mode, seed ${seed}, ${runs} runs of ${perRun} old versions each`);
  try {
    console.log(`building a document of ${num(OPS + TAIL)} ops…`);
    const t0 = performance.now();
    const built = await build(stores, random.fork());
    console.log(`  built in ${num((performance.now() - t0) / 1000, 1)} s: ${num(built.length)} characters`);
    if (stores.dir) console.log(`  data directory: ${num((await bytesUnder(stores.dir)) / 2 ** 20)} MiB`);

    const results: RunResult[] = [];
    for (let run = 0; run < runs; run++) {
      const versions = Array.from({ length: perRun }, () => random.int(OPS + TAIL));
      const result = await runChild(stores, versions);
      if (result.sha256 !== built.sha256 || result.version !== OPS + TAIL) {
        throw new Error(`run ${run + 1} opened version ${result.version} with other content than was built`);
      }
      for (const old of result.oldVersions) {
        if (old.length !== 10 * old.version)
          throw new Error(`version ${old.version} came back with ${old.length} characters`);
      }
      results.push(result);
      console.log(
        `  run ${run + 1}: open ${result.openMs.toFixed(1)} ms (CPU ${result.openCpuMs.toFixed(1)} ms), old versions median ${median(result.oldVersions.map((o) => o.ms)).toFixed(1)} ms`,
      );
    }
    const row = (measure: string, wall: number[], cpu: number[], target: string) => [
      measure,
      ...[median(wall), Math.min(...wall), quantile(wall, 0.95), Math.max(...wall), median(cpu)].map((x) =>
        x.toFixed(1),
      ),
      String(wall.length),
      target,
    ];
    const olds = results.flatMap((r) => r.oldVersions);
    console.log();
    console.log(
      table(
        ['measure', 'median ms', 'min ms', 'p95 ms', 'max ms', 'median CPU ms', 'samples', 'target ms'],
        [
          row(
            'open, cold (snapshot + 99-op tail)',
            results.map((r) => r.openMs),
            results.map((r) => r.openCpuMs),
            '300',
          ),
          row(
            'content at a random old version',
            olds.map((o) => o.ms),
            olds.map((o) => o.cpuMs),
            '100',
          ),
        ],
        [false, true, true, true, true, true, true, true],
      ),
    );
  } finally {
    await cleanUp(stores).catch((err: unknown) =>
      console.error(`could not clean up: ${(err as Error).message}`),
    );
  }
}

const child = process.env.BENCH_OPEN_RUN;
if (child) {
  const { stores, versions } = JSON.parse(child) as { stores: Stores; versions: number[] };
  const result = await measure(stores, versions);
  process.send?.(result);
  process.disconnect?.();
} else {
  await main();
}
