/**
 * What the cluster's end-to-end tests share: a cluster of their own on the servers of
 * `pnpm infra:up` (or on private ones), editors that keep typing on several documents over
 * both gateways, and the contract's checks run after every fault: nothing acknowledged is
 * lost, nothing is applied twice, every client converges on the api's content, and that
 * content is the replay of the op log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCassandraClient } from '@tandem/adapters-cassandra';
import type { ClientDoc } from '@tandem/client';
import { HashRing } from '@tandem/hashring';
import type { DocTypeName } from '@tandem/ot';
import {
  Api,
  type CommittedRecord,
  checkLog,
  type Endpoints,
  LiveClient,
  Random,
  randomInitial,
  randomOp,
  readEndpoints,
  replay,
  type SignedIn,
  sleep,
  tokenSignIn,
  waitFor,
} from '@tandem/testkit';
import { Kafka, logLevel } from 'kafkajs';
import { expect, onTestFinished } from 'vitest';
import { type Cluster, clusterEnv, type ServiceProcess, startCluster } from '../src/index.js';

export interface TestCluster {
  cluster: Cluster;
  api: Api;
  owner: SignedIn;
  /** The member id on the ring of worker number `n` (1-based, in start order), as startCluster names it. */
  workerId(n: number): string;
}

/** Servers a test starts for itself (infra/local's startPrivate) in place of the shared ones. */
export type Replacements = Partial<Pick<Endpoints, 'redis' | 'kafka' | 'cassandra'>>;

/**
 * A cluster in a namespace of its own on the servers of `pnpm infra:up`, or on private ones
 * a test can stop and wipe in their place, for the test that calls this. When the test ends
 * the cluster is stopped and its data dropped from the shared servers; its logs are kept (and
 * their directory printed) only when the test failed.
 */
export async function startTestCluster(
  label: string,
  options: { replace?: Replacements } = {},
): Promise<TestCluster> {
  const shared = readEndpoints();
  const replace = options.replace ?? {};
  // The shared entries stay behind getters, which throw only when a server that is used was not started.
  const endpoints = Object.setPrototypeOf({ ...replace }, shared) as Endpoints;
  const logDir = mkdtempSync(join(tmpdir(), `tandem-cluster-${label}-`));
  const started = Date.now();
  const cluster = await startCluster({
    endpoints,
    logDir,
    workers: 3,
    gateways: 2,
    // The editors of these tests type faster than a person; the per-socket limit is not under test.
    env: { OPS_PER_SECOND: '1000' },
  });
  console.log(
    `${label}: cluster ${cluster.namespace} (${cluster.workers.length} workers, ${cluster.gateways.length} gateways) started in ${Date.now() - started} ms; logs in ${logDir}`,
  );
  onTestFinished(async ({ task }) => {
    await cluster.stop();
    await dropNamespace(shared, cluster.namespace, {
      cassandra: !replace.cassandra,
      kafka: !replace.kafka,
    }).catch((err: unknown) =>
      console.warn(`could not drop the data of namespace ${cluster.namespace}: ${err}`),
    );
    if (task.result?.state === 'pass') rmSync(logDir, { recursive: true, force: true });
    else console.log(`${label}: the logs of cluster ${cluster.namespace} are in ${logDir}`);
  }, 60_000);
  const api = new Api(cluster.apiUrl, tokenSignIn(cluster.authSecret));
  return {
    cluster,
    api,
    owner: await api.signIn(`${label} owner`),
    workerId: (n) => `${cluster.namespace}-worker-${n}`,
  };
}

/**
 * Drops what a cluster left on the shared Cassandra, Kafka and Elasticsearch (named as
 * clusterEnv names them), so that runs do not pile up keyspaces, topics and indices.
 */
async function dropNamespace(
  shared: Endpoints,
  namespace: string,
  on: { cassandra: boolean; kafka: boolean },
): Promise<void> {
  const env = clusterEnv(shared, namespace, '');
  if (on.cassandra) {
    const cassandra = createCassandraClient(
      {
        contactPoints: shared.cassandra.contactPoints,
        localDataCenter: shared.cassandra.localDataCenter,
        keyspace: env.CASSANDRA_KEYSPACE as string,
      },
      null,
    );
    try {
      await cassandra.execute(`DROP KEYSPACE IF EXISTS ${env.CASSANDRA_KEYSPACE}`);
    } finally {
      await cassandra.shutdown();
    }
  }
  if (on.kafka) {
    const admin = new Kafka({ brokers: shared.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: [env.KAFKA_TOPIC as string] });
    } finally {
      await admin.disconnect();
    }
  }
  const index = `${shared.elasticsearch.node}/${env.ELASTICSEARCH_INDEX}`;
  const deleted = await fetch(index, { method: 'DELETE' });
  if (!deleted.ok && deleted.status !== 404) throw new Error(`DELETE ${index}: ${deleted.status}`);
}

/** Which worker owns each document, computed as the routers do: a HashRing over the member ids. */
export function owners(docIds: readonly string[], members: readonly string[]): Map<string, string> {
  const ring = new HashRing(members);
  return new Map(docIds.map((id) => [id, ring.owner(id) as string]));
}

/** A counter or gauge of a service's /metrics (its ops server), summed over its labels. */
export async function metric(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.split(' ').pop());
  }
  return sum;
}

// ---------------------------------------------------------------------------
// Editing under load

/** `random`: seeded random valid ops of every type; `markers`: unique markers typed into text, to count them. */
export type EditMode = 'random' | 'markers';

export interface DocSpec {
  id: string;
  type: DocTypeName;
  initial: unknown;
}

/** One document open in one client (a ClientDoc), with everything it sent and got. */
export interface Editor {
  label: string;
  /** The gateway its client is connected to (0-based). */
  gateway: number;
  live: LiveClient;
  doc: ClientDoc;
  spec: DocSpec;
  /** Every op sent, by seq (a resend carries the same seq): the markers it inserts. */
  sent: Map<number, string[]>;
  /** When each seq was first sent. */
  firstSent: Map<number, number>;
  acks: { seq: number; version: number; at: number }[];
  /** Markers typed, in order. */
  typed: string[];
  /** Refusals a retry may fix (the client resends). */
  retryable: { code: string; at: number }[];
  /** What must not happen: resets, refusals for good, a resend with other content. */
  problems: string[];
  /** Every op sent, ack and error, timed: printed when something went wrong. */
  trace: string[];
}

export interface EditingOptions {
  types: readonly DocTypeName[];
  /** Sockets (TandemClients), alternately on each gateway; each opens every document. */
  clients: number;
  mode: EditMode;
  seed: number;
  /** The pause of each editor between two edits, in ms. */
  pauseMs?: readonly [number, number];
}

/** An op inserting `marker` at code unit `at` of a text or rich-text document. */
function insertOp(type: DocTypeName, at: number, marker: string): unknown[] {
  if (type === 'text') return at === 0 ? [marker] : [at, marker];
  return at === 0 ? [{ insert: marker }] : [{ retain: at }, { insert: marker }];
}

/** The document as a plain string (markers are ASCII, so code points and UTF-16 units agree). */
function plain(type: DocTypeName, data: unknown): string {
  if (type === 'text') return data as string;
  return (data as { insert?: unknown }[]).map((c) => (typeof c.insert === 'string' ? c.insert : '')).join('');
}

function markersIn(text: string): string[] {
  return text.match(/\[[^\]]*\]/g) ?? [];
}

/** The markers an op inserts. */
function insertedMarkers(type: DocTypeName, op: unknown): string[] {
  if (type === 'json1') return [];
  const parts = (op as unknown[]).flatMap((c) => {
    if (type === 'text') return typeof c === 'string' ? [c] : [];
    const insert = (c as { insert?: unknown }).insert;
    return typeof insert === 'string' ? [insert] : [];
  });
  return markersIn(parts.join(''));
}

/** Offsets where a marker may go without splitting another: the start, the end and after each `]`. */
function boundaries(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === ']') out.push(i + 1);
  if (out[out.length - 1] !== text.length) out.push(text.length);
  return out;
}

const sorted = (xs: readonly string[]) => [...xs].sort();

/**
 * Documents of the given types, created through the api, and editors typing on all of them
 * from clients spread over the gateways, until stop().
 */
export class Editing {
  readonly editors: Editor[] = [];
  private running = false;
  private loops: Promise<void> = Promise.resolve();
  private markerCount = 0;

  private constructor(
    readonly tc: TestCluster,
    readonly docs: DocSpec[],
    private readonly options: EditingOptions,
    private readonly rng: Random,
  ) {}

  static async open(tc: TestCluster, options: EditingOptions): Promise<Editing> {
    const rng = new Random(options.seed);
    const { api, owner } = tc;
    const users = await Promise.all(
      Array.from({ length: options.clients }, (_, i) => api.signIn(`${owner.name} editor ${i}`)),
    );
    const docs = await Promise.all(
      options.types.map(async (type, i): Promise<DocSpec> => {
        const initial = options.mode === 'markers' ? markerInitial(type, i) : randomInitial(type, rng);
        const id = await api.createDoc(owner.token, type, initial);
        for (const user of users) await api.grant(owner.token, id, user.userId, 'editor');
        return { id, type, initial };
      }),
    );
    const editing = new Editing(tc, docs, options, rng);
    // Registered after the cluster's: hooks run last first, so the clients go before the servers.
    onTestFinished(() => editing.close());
    const gateways = tc.cluster.gatewayUrls;
    users.forEach((user, i) => {
      const byDoc = new Map<string, Editor>();
      const live = new LiveClient(gateways[i % gateways.length] as string, user.token, {
        label: `client ${i}`,
        onSend: (data) => {
          const m = JSON.parse(data) as { type: string; docId?: string; seq?: number; op?: unknown };
          if (m.type !== 'op' || m.seq === undefined || m.docId === undefined) return;
          const editor = byDoc.get(m.docId);
          if (!editor) return;
          const markers = insertedMarkers(editor.spec.type, m.op);
          const before = editor.sent.get(m.seq);
          if (before && JSON.stringify(sorted(before)) !== JSON.stringify(sorted(markers)))
            editor.problems.push(`seq ${m.seq} resent with other content`);
          editor.sent.set(m.seq, markers);
          editor.trace.push(`${Date.now()} sent seq ${m.seq}`);
          if (!before) editor.firstSent.set(m.seq, Date.now());
        },
      }).connect();
      for (const spec of docs) {
        const doc = live.open(spec.id);
        const editor: Editor = {
          label: `client ${i} (gateway ${(i % gateways.length) + 1}) on ${spec.type} ${spec.id}`,
          gateway: i % gateways.length,
          live,
          doc,
          spec,
          sent: new Map(),
          firstSent: new Map(),
          acks: [],
          typed: [],
          retryable: [],
          problems: [],
          trace: [],
        };
        doc.on('ack', ({ seq, version }) => {
          editor.acks.push({ seq, version, at: Date.now() });
          editor.trace.push(`${Date.now()} ack of seq ${seq} at version ${version}`);
        });
        doc.on('reset', ({ error }) => editor.problems.push(`reset: ${error.code} ${error.message}`));
        doc.on('error', (error) => {
          editor.trace.push(`${Date.now()} error ${error.code}: ${error.message}`);
          if (error.retryable) editor.retryable.push({ code: error.code, at: Date.now() });
          else editor.problems.push(`error: ${error.code} ${error.message}`);
        });
        byDoc.set(spec.id, editor);
        editing.editors.push(editor);
      }
    });
    await waitFor(
      () => editing.editors.every((e) => e.doc.isReady),
      'every client to open every document',
      30_000,
    );
    return editing;
  }

  /** The editors start typing. */
  start(): void {
    this.running = true;
    const [min, max] = this.options.pauseMs ?? [10, 40];
    this.loops = Promise.all(
      this.editors.map(async (editor) => {
        const r = this.rng.fork();
        while (this.running) {
          if (editor.doc.isReady) this.edit(editor, r);
          await sleep(r.range(min, max));
        }
      }),
    ).then(() => undefined);
  }

  /** One edit now by `editor` (it goes out when the client's previous op is acknowledged). */
  edit(editor: Editor, r: Random = this.rng): void {
    const { doc, spec } = editor;
    if (this.options.mode === 'random') {
      doc.submit(randomOp(spec.type, r, doc.data));
      return;
    }
    const marker = `[m${++this.markerCount}]`;
    doc.submit(insertOp(spec.type, r.pick(boundaries(plain(spec.type, doc.data))), marker));
    editor.typed.push(marker);
  }

  /** The editors stop typing; resolves once every op they typed is acknowledged. */
  async stop(ms = 60_000): Promise<void> {
    this.running = false;
    await this.loops;
    await waitFor(
      () => this.editors.every((e) => !e.doc.hasPendingOps),
      'every client’s ops to be acknowledged',
      ms,
      20,
    );
  }

  /**
   * When the first op first sent after `t` was acknowledged on document `docId`: a whole
   * round trip that began after `t` (a client has one op in flight per document, so this
   * also waited for the op that was in flight at `t`).
   */
  firstAckOfOpSentAfter(docId: string, t: number): number | undefined {
    let first: number | undefined;
    for (const e of this.editorsOf([docId])) {
      for (const a of e.acks) {
        if ((e.firstSent.get(a.seq) ?? 0) > t && (first === undefined || a.at < first)) first = a.at;
      }
    }
    return first;
  }

  /** Waits until editing resumed on every document after `t` (see firstAckOfOpSentAfter); resolves with each one's delay. */
  async resumed(
    t: number,
    what: string,
    ms = 30_000,
    docIds = this.docs.map((d) => d.id),
  ): Promise<number[]> {
    await waitFor(
      () => docIds.every((id) => this.firstAckOfOpSentAfter(id, t) !== undefined),
      `editing to resume on every document after ${what}`,
      ms,
      20,
    );
    return docIds.map((id) => (this.firstAckOfOpSentAfter(id, t) as number) - t);
  }

  /** Waits until `n` more ops than now are acknowledged. */
  async more(n: number, what: string, ms = 60_000): Promise<void> {
    const target = this.acked() + n;
    await waitFor(() => this.acked() >= target, `${n} more acknowledged ops ${what}`, ms, 20);
  }

  acked(): number {
    return this.editors.reduce((n, e) => n + e.acks.length, 0);
  }

  /** The clients' documents whose id is in `ids`. */
  editorsOf(ids: Iterable<string>): Editor[] {
    const set = new Set(ids);
    return this.editors.filter((e) => set.has(e.spec.id));
  }

  /**
   * The contract's checks, once the editors stopped: for each document, every client holds
   * the api's content at its version, the op log has versions 1..n without holes and each
   * (clientId, seq) once, its replay is the content, every acknowledged op is in it at its
   * version with what was sent, and every op sent was committed exactly once.
   */
  async verify(context: string): Promise<Map<string, CommittedRecord[]>> {
    const { api, owner } = this.tc;
    const logs = new Map<string, CommittedRecord[]>();
    for (const spec of this.docs) {
      const mine = this.editors.filter((e) => e.spec.id === spec.id);
      const server = await api.getDoc(owner.token, spec.id);
      await waitFor(
        () => mine.every((e) => e.doc.version === server.version),
        `the clients of ${spec.type} ${spec.id} to reach version ${server.version}`,
        20_000,
      );
      const where = `${context}: ${spec.type} ${spec.id}`;
      for (const e of mine) expect(e.doc.data, `${e.label}, ${context}`).toEqual(server.content);
      const log = await api.allOps(owner.token, spec.id);
      logs.set(spec.id, log);
      expect(log.length, `${where}: op log length`).toBe(server.version);
      expect(checkLog(log), where).toEqual([]);
      const type = mine[0]?.doc.type;
      if (!type) throw new Error(`no type for ${spec.id}`);
      expect(replay(type, spec.initial, log), `${where}: replay of the op log`).toEqual(server.content);
      for (const e of mine) {
        const clientId = e.live.client.clientId;
        for (const a of e.acks) {
          const rec = log[a.version - 1];
          expect(
            { clientId: rec?.clientId, seq: rec?.seq },
            `${e.label}: ack of seq ${a.seq} at ${a.version}`,
          ).toEqual({
            clientId,
            seq: a.seq,
          });
          if (this.options.mode === 'markers')
            expect(
              sorted(insertedMarkers(spec.type, rec?.op)),
              `${e.label}: content of seq ${a.seq}`,
            ).toEqual(sorted(e.sent.get(a.seq) ?? []));
        }
        const committed = new Map<number, number>();
        for (const r of log)
          if (r.clientId === clientId) committed.set(r.seq, (committed.get(r.seq) ?? 0) + 1);
        for (const seq of e.sent.keys())
          expect(committed.get(seq) ?? 0, `${e.label}: times seq ${seq} was committed`).toBe(1);
        expect(
          e.problems.join('; '),
          `${e.label}: what went wrong, after\n${e.trace.slice(-30).join('\n')}\n`,
        ).toBe('');
      }
      if (this.options.mode === 'markers') {
        // Every marker typed is in the document once and in the log once: nothing lost, nothing doubled.
        const typed = mine.flatMap((e) => e.typed);
        expect(sorted(markersIn(plain(spec.type, server.content))), `${where}: markers`).toEqual(
          sorted([...markersIn(plain(spec.type, type.create(spec.initial))), ...typed]),
        );
        expect(
          sorted(log.flatMap((r) => insertedMarkers(spec.type, r.op))),
          `${where}: markers in the log`,
        ).toEqual(sorted(typed));
      }
    }
    return logs;
  }

  private close(): void {
    this.running = false;
    for (const live of new Set(this.editors.map((e) => e.live))) live.disconnect();
  }
}

function markerInitial(type: DocTypeName, i: number): unknown {
  if (type === 'text') return `[t${i}]`;
  if (type === 'rich-text') return [{ insert: `[r${i}]` }];
  throw new Error(`markers are typed into text and rich-text documents, not ${type}`);
}
