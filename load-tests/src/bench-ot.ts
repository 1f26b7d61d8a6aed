import { availableParallelism, cpus } from 'node:os';
import { type ClientDoc, TandemClient } from '@tandem/client';
import { type DocTypeName, getDocType, json1Type, richTextType, textType } from '@tandem/ot';
import { ReferenceServer } from '@tandem/testkit';
import otText from 'ot-text-unicode';
import { type EditingTrace, loadEditingTrace, type Patch, richTextOpOf, textOpOf } from './editing-trace.js';

/**
 * pnpm bench:ot — replays the automerge-perf editing trace (259,778 edits) (a) through
 * each type's apply, (b) through the client engine as one author with an op in flight
 * and a buffer, (c) as two authors through the reference server; prints the median of
 * RUNS runs (default 3) in ops/s and checks every final text against the trace's.
 */

const RUNS = Number(process.env.RUNS ?? 3);
const ACK_EVERY = 8;

const opOf = (type: 'text' | 'rich-text', p: Patch): unknown =>
  type === 'text' ? textOpOf(p) : richTextOpOf(p);
const textOfSnapshot = (type: 'text' | 'rich-text', snapshot: unknown): string =>
  type === 'text' ? (snapshot as string) : (snapshot as { insert: string }[]).map((c) => c.insert).join('');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

interface Row {
  scenario: string;
  type: string;
  ms: number;
  opsPerSec: number;
  ok: boolean;
}

const rows: Row[] = [];

function measure(
  scenario: string,
  type: string,
  edits: number,
  runs: number,
  run: () => string,
  expected: string,
): void {
  const times: number[] = [];
  let ok = true;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const final = run();
    times.push(performance.now() - t0);
    ok &&= final === expected;
  }
  const ms = median(times);
  const row = { scenario, type, ms, opsPerSec: edits / (ms / 1000), ok };
  rows.push(row);
  console.log(
    `${scenario.padEnd(34)} ${type.padEnd(22)} ${ms.toFixed(0).padStart(7)} ms ${Math.round(row.opsPerSec).toLocaleString('en-US').padStart(10)} ops/s  final text ${ok ? 'matches' : 'DIFFERS'}`,
  );
}

function applyAll(trace: EditingTrace) {
  const n = trace.patches.length;
  measure(
    '(a) apply',
    'text',
    n,
    RUNS,
    () => {
      let doc = textType.create(trace.startContent);
      for (const p of trace.patches) doc = textType.apply(doc, textOpOf(p));
      return doc;
    },
    trace.endContent,
  );
  measure(
    '(a) apply',
    'ot-text-unicode stock',
    n,
    1,
    () => {
      let doc = trace.startContent;
      for (const p of trace.patches) doc = otText.type.apply(doc, textOpOf(p));
      return doc;
    },
    trace.endContent,
  );
  measure(
    '(a) apply',
    'rich-text',
    n,
    RUNS,
    () => {
      let doc = richTextType.create(trace.startContent);
      for (const p of trace.patches) doc = richTextType.apply(doc, richTextOpOf(p));
      return textOfSnapshot('rich-text', doc);
    },
    trace.endContent,
  );
  measure(
    '(a) apply',
    'json1 (es on a string)',
    n,
    RUNS,
    () => {
      let doc = json1Type.create({ body: trace.startContent });
      for (const p of trace.patches) doc = json1Type.apply(doc, ['body', { es: textOpOf(p) }]);
      return (doc as { body: string }).body;
    },
    trace.endContent,
  );
}

/** A client connected to an in-memory reference server, with delivery under the caller's control. */
function connectedClient(server: ReferenceServer, docId: string, name: string) {
  const toServer: string[] = [];
  const toClient: string[] = [];
  const client = new TandemClient({ token: name, clientId: `${name}-bench-client`, doc: { undo: false } });
  const session = server.connect((data) => toClient.push(data));
  client.attach({ send: (data) => toServer.push(data), close: () => {} });
  const doc = client.open(docId);
  const pump = (): boolean => {
    const moved = toServer.length + toClient.length > 0;
    for (const m of toServer.splice(0)) session.receive(m);
    for (const m of toClient.splice(0)) client.receive(m);
    return moved;
  };
  return { client, doc, pump };
}

function settle(...pumps: (() => boolean)[]): void {
  while (pumps.map((p) => p()).some(Boolean)) {}
}

function oneAuthor(trace: EditingTrace, type: 'text' | 'rich-text') {
  // The server side only acknowledges, so the figure is the client engine's own cost:
  // local apply, compose into the buffer, JSON encode of each sent op, parse of each ack.
  measure(
    '(b) client engine, one author',
    type,
    trace.patches.length,
    RUNS,
    () => {
      let version = 0;
      const acks: string[] = [];
      const client = new TandemClient({ token: 'a', clientId: 'bench-one-author', doc: { undo: false } });
      client.attach({
        send: (data) => {
          const m = JSON.parse(data) as { type: string; seq: number };
          if (m.type === 'hello')
            acks.push(
              JSON.stringify({
                type: 'welcome',
                protocol: 1,
                sessionId: 's',
                userId: 'a',
                heartbeatMs: 20000,
                limits: { maxMessageBytes: 1, maxOpBytes: 1, opsPerSecond: 1, maxDocs: 1, maxPendingOps: 1 },
              }),
            );
          if (m.type === 'join')
            acks.push(
              JSON.stringify({
                type: 'joined',
                docId: 'd',
                docType: type,
                version: 0,
                role: 'editor',
                snapshot: getDocType(type).create(trace.startContent),
              }),
            );
          if (m.type === 'op')
            acks.push(JSON.stringify({ type: 'ack', docId: 'd', seq: m.seq, version: ++version }));
        },
        close: () => {},
      });
      const doc = client.open('d');
      const deliver = () => {
        while (acks.length > 0) for (const a of acks.splice(0)) client.receive(a);
      };
      deliver();
      let i = 0;
      for (const p of trace.patches) {
        doc.submit(opOf(type, p));
        if (++i % ACK_EVERY === 0) deliver();
      }
      deliver();
      if (doc.hasPendingOps) throw new Error('ops left unacknowledged');
      return textOfSnapshot(type, doc.data);
    },
    trace.endContent,
  );
}

function twoAuthors(trace: EditingTrace, type: DocTypeName & ('text' | 'rich-text')) {
  // The authors take turns in runs of 1-8 edits; within a run the first edit is in flight
  // while the rest are buffered, and each side transforms the other's ops past its own.
  measure(
    '(c) two authors, reference server',
    type,
    trace.patches.length,
    RUNS,
    () => {
      const server = new ReferenceServer();
      server.createDoc('d', type, trace.startContent);
      const a = connectedClient(server, 'd', 'alice');
      const b = connectedClient(server, 'd', 'bob');
      settle(a.pump, b.pump);
      let author: ClientDoc = a.doc;
      let run = 0;
      let runLength = 1;
      for (const p of trace.patches) {
        author.submit(opOf(type, p));
        a.pump();
        if (++run >= runLength) {
          settle(a.pump, b.pump);
          author = author === a.doc ? b.doc : a.doc;
          run = 0;
          runLength = 1 + ((runLength * 5 + 3) % 8);
        }
      }
      settle(a.pump, b.pump);
      const finals = [a.doc.data, b.doc.data, server.snapshot('d')].map((s) => textOfSnapshot(type, s));
      return finals.every((f) => f === finals[0]) ? (finals[0] as string) : 'clients diverged';
    },
    trace.endContent,
  );
}

const trace = loadEditingTrace();
const cpu = cpus()[0]?.model ?? 'unknown cpu';
console.log(
  `automerge-paper trace: ${trace.patches.length} edits, final text ${trace.endContent.length} chars`,
);
console.log(
  `machine: ${availableParallelism()} cores (${cpu}), node ${process.version}; median of ${RUNS} runs\n`,
);
applyAll(trace);
for (const type of ['text', 'rich-text'] as const) oneAuthor(trace, type);
for (const type of ['text', 'rich-text'] as const) twoAuthors(trace, type);
if (rows.some((r) => !r.ok)) {
  console.error('\nA final text differs from the trace: FAILED');
  process.exit(1);
}
