import { rmSync } from 'node:fs';
import { indexedPart, type Log } from '@tandem/core';
import { openPostgresStores, openS3Snapshots, postgresConfig, s3Config } from '@tandem/distributed';
import { type PrivateServer, startPrivate } from '@tandem/infra-local';
import { type DocTypeName, getDocType } from '@tandem/ot';
import {
  type CommittedRecord,
  Random,
  readEndpoints,
  replay,
  seedFromEnv,
  sleep,
  waitFor,
} from '@tandem/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { z } from 'zod';
import { type Cluster, clusterEnv, type ServiceProcess } from '../src/index.js';
import {
  type DocSpec,
  Editing,
  type Editor,
  metric,
  type Replacements,
  startTestCluster,
  type TestCluster,
} from './harness.js';

/**
 * Issue #5, catching up: the consumers of the document events (the snapshot service, the
 * search indexer, the history service) are stopped, or Kafka is, while documents are edited; once they are back,
 * every derived view holds every document as its op log has it, with nothing missing.
 *
 * Each consumer is one entry of `consumers`: its service, its Kafka group, and the check of
 * its view. A new consumer is checked by every test once it has an entry there.
 */

/** The snapshot service's default SNAPSHOT_EVERY_OPS, which the cluster keeps. */
const EVERY_OPS = 100;
/** Ops on every document before the fault, so that each has a snapshot already. */
const OPS_BEFORE = 150;
/** Ops on every busy document while the fault lasts: a few multiples of EVERY_OPS missed. */
const OPS_WHILE_DOWN = 250;
/** Markers of each document looked up through GET /api/v1/search. */
const LOOKUPS_PER_DOC = 8;

const seed = seedFromEnv('CLUSTER_SEED', Math.floor(Math.random() * 2 ** 31));

/** What a consumer's check gets once editing stopped and every op log was verified. */
interface CatchUpContext {
  tc: TestCluster;
  docs: { spec: DocSpec; log: CommittedRecord[] }[];
  /** Per document, markers typed while the fault lasted or just before it: the search must find them. */
  lookups: Map<string, string[]>;
}

interface Consumer {
  /** Its service, as the cluster names it. */
  name: string;
  /** Its Kafka consumer group (the bus prefixes it with the topic). */
  group: string;
  process(cluster: Cluster): ServiceProcess;
  /**
   * Whether its view holds these documents as they are now. A consumer may handle an event,
   * and have its offset committed, before its view shows it (the indexer's debounce).
   */
  applied(tc: TestCluster, docs: readonly DocSpec[]): Promise<boolean>;
  /** Waits until its derived view holds every document as its op log has it, and checks that view. */
  caughtUp(context: CatchUpContext): Promise<void>;
}

const consumers: readonly Consumer[] = [
  {
    name: 'snapshot',
    group: 'snapshotter',
    process: (cluster) => cluster.snapshotService,
    // A snapshot due every EVERY_OPS ops is stored before its event counts as handled; one
    // due by time is not owed until minutes later.
    applied: async () => true,
    caughtUp: snapshotsCaughtUp,
  },
  {
    name: 'search-indexer',
    group: 'search-indexer',
    process: (cluster) => cluster.searchIndexer,
    applied: indexed,
    caughtUp: searchCaughtUp,
  },
  {
    name: 'history',
    group: 'history',
    process: (cluster) => cluster.historyService,
    // Entries wait in memory up to HISTORY_FLUSH_MS (1 s) before they are written.
    applied: async (tc, docs) => {
      for (const spec of docs) {
        const { version } = await tc.api.getDoc(tc.owner.token, spec.id);
        if (opsIn(await timeline(tc, spec.id)) !== version) return false;
      }
      return true;
    },
    caughtUp: historyCaughtUp,
  },
];

interface TimelineItem {
  kind: 'created' | 'edit' | 'restore';
  userId: string;
  fromVersion: number;
  toVersion: number;
  ops: number;
  inserted: number;
  deleted: number;
}

/** A document's whole timeline through GET /api/v1/documents/:id/history, oldest first. */
async function timeline(tc: TestCluster, docId: string): Promise<TimelineItem[]> {
  const items: TimelineItem[] = [];
  let before: number | null = null;
  do {
    const query: string = before === null ? '' : `&before=${before}`;
    const res = await tc.api.request<{ items: TimelineItem[]; next: number | null }>(
      'GET',
      `/api/v1/documents/${docId}/history?limit=100${query}`,
      { token: tc.owner.token },
    );
    expect(res.status, `history of ${docId}`).toBe(200);
    items.push(...res.body.items);
    before = res.body.next;
  } while (before !== null);
  return items.reverse();
}

const opsIn = (items: readonly TimelineItem[]) => items.reduce((n, e) => n + e.ops, 0);

/**
 * Every document's timeline accounts for every op of its log once: per user, the ops, the
 * inserted and the deleted amounts add up to those of the user's ops.
 */
async function historyCaughtUp({ tc, docs }: CatchUpContext): Promise<void> {
  await waitFor(
    async () => {
      for (const { spec, log } of docs) if (opsIn(await timeline(tc, spec.id)) < log.length) return false;
      return true;
    },
    'the history service to hold every op',
    60_000,
    250,
  ).catch(() => undefined);
  for (const { spec, log } of docs) {
    const items = await timeline(tc, spec.id);
    const type = getDocType(spec.type);
    const what = `timeline of ${spec.type} ${spec.id} at version ${log.length}`;
    expect.soft(Math.max(...items.map((e) => e.toVersion)), `${what}: its newest version`).toBe(log.length);
    for (const user of new Set(log.map((r) => r.author))) {
      const mine = log.filter((r) => r.author === user);
      const theirs = items.filter((e) => e.userId === user && e.kind !== 'created');
      const sum = (k: 'inserted' | 'deleted') => mine.reduce((n, r) => n + type.extent(r.op)[k], 0);
      expect.soft(opsIn(theirs), `${what}: ${user}'s ops`).toBe(mine.length);
      expect
        .soft(
          theirs.reduce((n, e) => n + e.inserted, 0),
          `${what}: ${user}'s inserts`,
        )
        .toBe(sum('inserted'));
      expect
        .soft(
          theirs.reduce((n, e) => n + e.deleted, 0),
          `${what}: ${user}'s deletes`,
        )
        .toBe(sum('deleted'));
    }
  }
}

const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };

/** The stores the cluster's services use, named as clusterEnv names them for its namespace. */
function storesEnv(namespace: string) {
  return z.object({ ...s3Config, ...postgresConfig }).parse(clusterEnv(readEndpoints(), namespace, ''));
}

/**
 * For every document: a stored snapshot at every multiple of EVERY_OPS up to its version,
 * each the replay of the op log up to it, and the newest one (a start-up catch-up writes one
 * at the head) as well.
 */
async function snapshotsCaughtUp({ tc, docs }: CatchUpContext): Promise<void> {
  const env = storesEnv(tc.cluster.namespace);
  const pg = await openPostgresStores(env, silentLog);
  const snapshots = await openS3Snapshots(env, silentLog);
  const due = (log: readonly unknown[]) => Math.floor(log.length / EVERY_OPS) * EVERY_OPS;
  const recorded = async (docId: string) => (await pg.metadata.snapshotState(docId))?.latestSnapshot ?? -1;
  try {
    // On a time-out the assertions below say which document is behind. They are soft, so
    // that every document, and every consumer after this one, is checked as well.
    await waitFor(
      async () => {
        for (const { spec, log } of docs) if ((await recorded(spec.id)) < due(log)) return false;
        return true;
      },
      'the snapshot service to record every snapshot due',
      120_000,
      250,
    ).catch(() => undefined);
    for (const { spec, log } of docs) {
      const what = `${spec.type} ${spec.id} at version ${log.length}`;
      expect.soft(await recorded(spec.id), `${what}: the snapshot recorded`).toBeGreaterThanOrEqual(due(log));
      const type = getDocType(spec.type);
      const contentAt = (version: number) => replay(type, spec.initial, log.slice(0, version));
      for (let version = EVERY_OPS; version <= log.length; version += EVERY_OPS) {
        const stored = await snapshots.latest(spec.id, version);
        expect.soft(stored?.version, `${what}: the snapshot at ${version}`).toBe(version);
        expect
          .soft(stored?.data, `${what}: the snapshot at ${version} is the op log replayed`)
          .toEqual(contentAt(version));
      }
      const newest = await snapshots.latest(spec.id);
      expect.soft(newest?.version, `${what}: the newest snapshot`).toBeGreaterThanOrEqual(due(log));
      expect.soft(newest?.version, `${what}: the newest snapshot`).toBeLessThanOrEqual(log.length);
      expect
        .soft(newest?.data, `${what}: the newest snapshot is the op log replayed`)
        .toEqual(contentAt(newest?.version ?? 0));
    }
  } finally {
    snapshots.close();
    await pg.close();
  }
}

/** The searchable text of a text or rich-text document (what the indexer's contentText makes of it). */
function searchableText(type: DocTypeName, content: unknown): string {
  if (type === 'text') return content as string;
  if (type === 'rich-text') {
    return (content as { insert?: unknown }[])
      .map((c) => (typeof c.insert === 'string' ? c.insert : ''))
      .join('');
  }
  throw new Error(`the catch-up tests type into text and rich-text documents, not ${type}`);
}

/** The content Elasticsearch holds for a document, read by id (which does not wait for a refresh). */
async function indexedContent(tc: TestCluster, docId: string): Promise<string | undefined> {
  const index = clusterEnv(readEndpoints(), tc.cluster.namespace, '').ELASTICSEARCH_INDEX;
  const res = await fetch(`${readEndpoints().elasticsearch.node}/${index}/_doc/${docId}`);
  if (res.status === 404) return undefined;
  const body = (await res.json()) as { _source?: { content?: string } };
  return body._source?.content;
}

/** Whether Elasticsearch holds the documents' current content. */
async function indexed(tc: TestCluster, docs: readonly DocSpec[]): Promise<boolean> {
  for (const spec of docs) {
    const { content } = await tc.api.getDoc(tc.owner.token, spec.id);
    if ((await indexedContent(tc, spec.id)) !== indexedPart(searchableText(spec.type, content))) return false;
  }
  return true;
}

/**
 * Elasticsearch holds every document's final content (read by id, which does not wait for a
 * refresh), and GET /api/v1/search finds each document by the markers in `lookups`.
 */
async function searchCaughtUp({ tc, docs, lookups }: CatchUpContext): Promise<void> {
  const indexed = (docId: string) => indexedContent(tc, docId);
  const expected = new Map(
    docs.map(({ spec, log }) => [
      spec.id,
      indexedPart(searchableText(spec.type, replay(getDocType(spec.type), spec.initial, log))),
    ]),
  );
  const behind = async () => {
    for (const [docId, content] of expected) if ((await indexed(docId)) !== content) return true;
    return false;
  };
  // On a time-out the assertions below say which document is behind, and by what. They are
  // soft, so that every document, and every consumer after this one, is checked as well.
  await waitFor(async () => !(await behind()), 'Elasticsearch to hold every document', 60_000, 250).catch(
    () => undefined,
  );
  for (const { spec, log } of docs) {
    const content = await indexed(spec.id);
    const want = expected.get(spec.id) ?? '';
    const lacking = (want.match(/\[[^\]]*\]/g) ?? []).filter((marker) => !content?.includes(marker));
    expect
      .soft(
        content === want,
        `Elasticsearch's copy of ${spec.type} ${spec.id} at version ${log.length} (lacking ${lacking.length} markers: ${lacking.slice(0, 10).join(' ')})`,
      )
      .toBe(true);
  }
  const { api, owner } = tc;
  const search = async (word: string) => {
    const res = await api.request<{ hits: { docId: string }[] }>(
      'GET',
      `/api/v1/search?q=${encodeURIComponent(word)}&limit=50`,
      { token: owner.token },
    );
    expect(res.status, `search for ${word}`).toBe(200);
    return res.body.hits.map((h) => h.docId);
  };
  // The standard tokenizer splits at the brackets: [m12] is the word m12.
  const words = [...lookups].flatMap(([docId, markers]) =>
    markers.map((m) => ({ docId, word: m.slice(1, -1) })),
  );
  const unfound = async () => {
    for (const { docId, word } of words) if (!(await search(word)).includes(docId)) return true;
    return false;
  };
  await waitFor(async () => !(await unfound()), 'a search to find every word looked up', 30_000, 250).catch(
    () => undefined,
  );
  for (const { docId, word } of words) {
    expect.soft(await search(word), `the documents a search for ${word} finds`).toContain(docId);
  }
}

/**
 * Per partition of the topic: its end offset, and how far `group` has committed (its start
 * offset where the group committed nothing), as Kafka sees them.
 */
async function offsets(
  brokers: string[],
  topic: string,
  group: string,
): Promise<{ partition: number; end: number; committed: number }[]> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId: `${topic}.${group}`, topics: [topic] });
    return (await admin.fetchTopicOffsets(topic)).map((p) => {
      const at = Number(committed?.partitions.find((c) => c.partition === p.partition)?.offset ?? -1);
      return { partition: p.partition, end: Number(p.high), committed: at < 0 ? Number(p.low) : at };
    });
  } finally {
    await admin.disconnect();
  }
}

/** The events of the topic `group` has yet to handle, as Kafka sees it. */
async function kafkaLag(brokers: string[], topic: string, group: string): Promise<number> {
  return (await offsets(brokers, topic, group)).reduce((lag, p) => lag + p.end - p.committed, 0);
}

/** Waits until every consumer has handled, and committed, every event the topic held when called. */
async function handledSoFar(brokers: string[], topic: string): Promise<void> {
  await Promise.all(
    consumers.map(async (c) => {
      const ends = new Map((await offsets(brokers, topic, c.group)).map((p) => [p.partition, p.end]));
      await waitFor(
        async () =>
          (await offsets(brokers, topic, c.group)).every((p) => p.committed >= (ends.get(p.partition) ?? 0)),
        `${c.name} to handle the events published so far`,
        60_000,
        50,
      );
    }),
  );
}

/** The values of a service's tandem_event_consumer_lag series for `group` (one per partition it reported). */
async function lagGauge(service: ServiceProcess, group: string): Promise<number[]> {
  const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('tandem_event_consumer_lag{') && line.includes(`group="${group}"`))
    .map((line) => Number(line.split(' ').pop()));
}

/** Reads a service's lag gauge until stopped; resolves with the largest value it read. */
function sampleLag(service: ServiceProcess, group: string): () => Promise<number> {
  let sampling = true;
  let max = 0;
  onTestFinished(() => {
    sampling = false;
  });
  const loop = (async () => {
    while (sampling) {
      const values = await lagGauge(service, group).catch(() => []);
      max = Math.max(max, ...values);
      await sleep(50);
    }
  })();
  return async () => {
    sampling = false;
    await loop;
    return max;
  };
}

/** Each document's newest acknowledged version, as its editors were told. */
function versions(ed: Editing): Map<string, number> {
  return new Map(
    ed.docs.map((d) => [
      d.id,
      Math.max(0, ...ed.editorsOf([d.id]).flatMap((e) => e.acks.map((a) => a.version))),
    ]),
  );
}

async function allReach(ed: Editing, target: (docId: string) => number, what: string): Promise<void> {
  await waitFor(
    () => [...versions(ed)].every(([docId, version]) => version >= target(docId)),
    what,
    180_000,
    50,
  );
}

/** The cluster under test, and the Kafka topic of its events. */
interface Under {
  cluster: Cluster;
  brokers: string[];
  topic: string;
}

/** What stops, and comes back, while the documents are edited. */
interface Fault {
  down(under: Under): Promise<void>;
  /** Checks while it is down, once the documents have moved on; returns a line of figures. */
  whileDown(under: Under): Promise<string>;
  up(under: Under): Promise<void>;
}

/**
 * A cluster with two sets of documents typed into from both gateways: busy ones, edited
 * before, during and after the fault, and quiet ones, edited until just before it and not
 * after, their last change handled by every consumer but perhaps not applied yet. After the
 * fault, every consumer's view holds every document, and its lag is back to 0, in its gauge
 * and as Kafka sees it.
 */
async function catchUpAfter(label: string, fault: Fault, replace: Replacements = {}): Promise<void> {
  console.log(`${label} seed: ${seed} (replay the op choices with CLUSTER_SEED=${seed})`);
  const tc = await startTestCluster(label, { replace });
  const { cluster } = tc;
  const topic = clusterEnv(readEndpoints(), cluster.namespace, '').KAFKA_TOPIC as string;
  const brokers = replace.kafka?.brokers ?? readEndpoints().kafka.brokers;
  const under: Under = { cluster, brokers, topic };
  const busy = await Editing.open(tc, {
    types: ['text', 'rich-text', 'text', 'rich-text'],
    clients: 3,
    mode: 'markers',
    seed,
  });
  const quiet = await Editing.open(tc, {
    types: ['text', 'rich-text'],
    clients: 2,
    mode: 'markers',
    seed: seed + 1,
  });
  busy.start();
  quiet.start();
  await allReach(busy, () => OPS_BEFORE, `${OPS_BEFORE} ops on every busy document`);
  await allReach(quiet, () => OPS_BEFORE, `${OPS_BEFORE} ops on every quiet document`);

  await quiet.stop();
  await waitFor(
    async () => (await Promise.all(consumers.map((c) => c.applied(tc, quiet.docs)))).every(Boolean),
    'every consumer to hold the quiet documents',
    60_000,
    250,
  );
  // One more marker on each quiet document, its event handled and committed by every
  // consumer before the fault: what a consumer still owes it (a debounced index, a snapshot
  // due by time) is then in its memory only.
  for (const spec of quiet.docs) quiet.edit(quiet.editorsOf([spec.id])[0] as Editor);
  await quiet.stop();
  const quietAt = Date.now();
  await handledSoFar(brokers, topic);
  const lastTyped = new Map(
    quiet.docs.map((d) => [d.id, quiet.editorsOf([d.id]).flatMap((e) => e.typed.slice(-2))]),
  );
  const downAt = Date.now();
  await fault.down(under);
  console.log(
    `${label}: the fault began ${downAt - quietAt} ms after the quiet documents' last acknowledged op`,
  );
  const atDown = versions(busy);
  const typedAtDown = new Map(busy.editors.map((e) => [e, e.typed.length]));
  await allReach(
    busy,
    (docId) => (atDown.get(docId) ?? 0) + OPS_WHILE_DOWN,
    `${OPS_WHILE_DOWN} more ops on every busy document while it is down`,
  );
  const downLine = await fault.whileDown(under);
  const typedWhileDown = new Map<string, string[]>();
  for (const e of busy.editors) {
    const mine = typedWhileDown.get(e.spec.id) ?? [];
    mine.push(...e.typed.slice(typedAtDown.get(e) ?? 0));
    typedWhileDown.set(e.spec.id, mine);
  }
  const upAt = Date.now();
  await fault.up(under);
  const samplers = consumers.map((c) => sampleLag(c.process(cluster), c.group));
  console.log(
    `${label}: down for ${upAt - downAt} ms, the busy documents went from ${[...atDown.values()].join(', ')} to ${[...versions(busy).values()].join(', ')}; ${downLine}; back in ${Date.now() - upAt} ms`,
  );
  await busy.more(100, 'after it is back');
  await busy.stop();
  const logs = new Map([
    ...(await busy.verify(`${label}, seed ${seed}`)),
    ...(await quiet.verify(`${label}, seed ${seed}`)),
  ]);

  const rng = new Random(seed);
  const lookups = new Map<string, string[]>([
    ...[...typedWhileDown].map(([docId, typed]): [string, string[]] => [
      docId,
      rng.shuffle(typed).slice(0, LOOKUPS_PER_DOC),
    ]),
    ...lastTyped,
  ]);
  const context: CatchUpContext = {
    tc,
    docs: [...busy.docs, ...quiet.docs].map((spec) => ({ spec, log: logs.get(spec.id) ?? [] })),
    lookups,
  };
  for (const consumer of consumers) {
    const began = Date.now();
    await consumer.caughtUp(context);
    console.log(`${label}: ${consumer.name}'s view checked in ${Date.now() - began} ms`);
  }
  for (const [i, consumer] of consumers.entries()) {
    const service = consumer.process(cluster);
    await waitFor(
      async () => {
        const gauge = await lagGauge(service, consumer.group);
        return (
          gauge.length > 0 &&
          gauge.every((v) => v === 0) &&
          (await kafkaLag(brokers, topic, consumer.group)) === 0
        );
      },
      `the lag of ${consumer.name} to be 0, in its gauge and in Kafka`,
      60_000,
      250,
    );
    const max = await (samplers[i] as () => Promise<number>)();
    console.log(
      `${label}: ${consumer.name}'s lag gauge read at most ${max} after it was back, and 0 once caught up`,
    );
  }
}

const SIGNALS = [
  { signal: 'SIGKILL', stop: (p: ServiceProcess) => p.kill() },
  { signal: 'SIGTERM', stop: (p: ServiceProcess) => p.stop() },
] as const;

let privateKafka: Promise<PrivateServer<'kafka'>> | undefined;

afterAll(async () => {
  const kafka = await privateKafka?.catch(() => undefined);
  if (!kafka) return;
  await kafka.stop();
  rmSync(kafka.dir, { recursive: true, force: true });
}, 120_000);

describe('cluster: the consumers of the events catch up after downtime', () => {
  for (const { signal, stop } of SIGNALS) {
    it(`every consumer stopped with ${signal} while documents are edited catches up after its restart, with nothing missing`, async () => {
      await catchUpAfter(`catch-up-${signal.toLowerCase()}`, {
        async down({ cluster }) {
          await Promise.all(consumers.map((c) => stop(c.process(cluster))));
        },
        async whileDown({ brokers, topic }) {
          const lags: string[] = [];
          for (const c of consumers) {
            let lag = 0;
            // Nothing handles the events published meanwhile: the group falls behind.
            await waitFor(
              async () => {
                lag = await kafkaLag(brokers, topic, c.group);
                return lag > 0;
              },
              `group ${c.group} to fall behind while ${c.name} is down`,
              60_000,
              250,
            );
            lags.push(`${c.group} ${lag} behind`);
          }
          return lags.join(', ');
        },
        async up({ cluster }) {
          await Promise.all(consumers.map((c) => c.process(cluster).restart()));
        },
      });
    }, 480_000);
  }

  it('Kafka stopped while documents are edited: every consumer catches up once it is back, with nothing missing', async () => {
    const began = Date.now();
    privateKafka = startPrivate('kafka');
    const kafka = await privateKafka;
    console.log(`private kafka started in ${Date.now() - began} ms (${kafka.dir})`);
    const backlog = async (cluster: Cluster) =>
      (await Promise.all(cluster.workers.map((w) => metric(w, 'tandem_event_backlog')))).reduce(
        (a, b) => a + b,
      );
    await catchUpAfter(
      'catch-up-kafka',
      {
        down: () => kafka.stop(),
        async whileDown({ cluster }) {
          // The workers' publishes fail: they hold the events back and go on committing.
          await waitFor(
            async () => (await backlog(cluster)) > 0,
            'the workers to hold events back',
            60_000,
            200,
          );
          return `the workers held ${await backlog(cluster)} events back`;
        },
        up: () => kafka.start(),
      },
      { kafka: kafka.endpoint },
    );
  }, 480_000);
});
