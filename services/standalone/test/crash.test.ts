import { rm } from 'node:fs/promises';
import type { ClientDoc } from '@tandem/client';
import {
  Api,
  type CommittedRecord,
  checkLog,
  devSignIn,
  freePort,
  LiveClient,
  Random,
  replay,
  seedFromEnv,
  sleep,
  waitFor,
  wsUrlOf,
} from '@tandem/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildServer } from './child-server.js';
import { tempDataDir } from './helpers.js';

/** Code-unit offsets in `text` where a marker may go: the start, the end, and after each `]`. */
function boundaries(text: string): number[] {
  const out = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === ']') out.push(i + 1);
  if (out[out.length - 1] !== text.length) out.push(text.length);
  return out;
}

/** The markers in a string. */
function markersIn(text: string): string[] {
  return text.match(/\[[^\]]*\]/g) ?? [];
}

type Kind = 'text' | 'rich-text';

/** The document as a plain string (markers are ASCII, so code points and UTF-16 units agree). */
function plain(kind: Kind, data: unknown): string {
  if (kind === 'text') return data as string;
  return (data as { insert?: unknown }[]).map((c) => (typeof c.insert === 'string' ? c.insert : '')).join('');
}

/** An op inserting `marker` at `at`. */
function insertOp(kind: Kind, at: number, marker: string): unknown[] {
  if (kind === 'text') return at === 0 ? [marker] : [at, marker];
  return at === 0 ? [{ insert: marker }] : [{ retain: at }, { insert: marker }];
}

/** The markers an op inserts. */
function insertedMarkers(kind: Kind, op: unknown): string[] {
  const parts = (op as unknown[]).flatMap((c) => {
    if (kind === 'text') return typeof c === 'string' ? [c] : [];
    const insert = (c as { insert?: unknown }).insert;
    return typeof insert === 'string' ? [insert] : [];
  });
  return markersIn(parts.join(''));
}

const sorted = (xs: string[]) => [...xs].sort();

describe('crash: SIGKILL under load, restart on the same data', () => {
  let child: ChildServer | undefined;
  let dataDir: string | undefined;
  const clients: LiveClient[] = [];

  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await child?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('loses no acknowledged op, applies none twice, and every client resumes and converges', async () => {
    const seed = seedFromEnv('E2E_SEED', Math.floor(Math.random() * 2 ** 31));
    console.log(`crash seed: ${seed}`);
    const rng = new Random(seed);
    dataDir = await tempDataDir();
    const port = await freePort();
    child = await ChildServer.start(port, dataDir);
    const url = `http://127.0.0.1:${port}`;
    const api = new Api(url, devSignIn(url));

    const owner = await api.signIn('Crash Owner');
    const editors = await Promise.all([0, 1, 2].map((i) => api.signIn(`Crash Editor ${i}`)));
    const kinds: Kind[] = ['text', 'rich-text'];
    const docs = await Promise.all(
      kinds.map(async (kind) => {
        const id = await api.createDoc(owner.token, kind, kind === 'text' ? '[t0]' : '[r0]');
        for (const e of editors) await api.grant(owner.token, id, e.userId, 'editor');
        return { id, kind, initial: kind === 'text' ? '[t0]' : [{ insert: '[r0]' }] };
      }),
    );

    interface Tracked {
      live: LiveClient;
      doc: ClientDoc;
      kind: Kind;
      docId: string;
      /** Every op this client sent, by seq (a resend carries the same seq and the same markers). */
      sent: Map<number, string[]>;
      acks: { seq: number; version: number; beforeKill: boolean }[];
      submitted: string[];
      problems: string[];
    }
    let killed = false;
    const tracked: Tracked[] = [];
    for (const d of docs) {
      for (const e of editors) {
        const sent = new Map<number, string[]>();
        const problems: string[] = [];
        const live = new LiveClient(wsUrlOf(url), e.token, {
          label: `${e.userId}@${d.kind}`,
          onSend: (data) => {
            const m = JSON.parse(data) as { type: string; seq?: number; op?: unknown };
            if (m.type !== 'op' || m.seq === undefined) return;
            const markers = insertedMarkers(d.kind, m.op);
            const before = sent.get(m.seq);
            if (before && JSON.stringify(sorted(before)) !== JSON.stringify(sorted(markers)))
              problems.push(`seq ${m.seq} resent with other content`);
            sent.set(m.seq, markers);
          },
        }).connect();
        clients.push(live);
        const doc = live.open(d.id);
        const t: Tracked = { live, doc, kind: d.kind, docId: d.id, sent, acks: [], submitted: [], problems };
        doc.on('ack', ({ seq, version }) => t.acks.push({ seq, version, beforeKill: !killed }));
        doc.on('reset', ({ error }) => problems.push(`reset: ${error.code} ${error.message}`));
        tracked.push(t);
      }
    }
    await waitFor(() => tracked.every((t) => t.doc.isReady), 'every client to join', 20_000);

    // Load: every client inserts unique markers between whole markers, every few ms.
    let loading = true;
    let counter = 0;
    const load = Promise.all(
      tracked.map(async (t, ci) => {
        const r = rng.fork();
        while (loading) {
          const marker = `[c${ci}-${++counter}]`;
          const text = plain(t.kind, t.doc.data);
          t.doc.submit(insertOp(t.kind, r.pick(boundaries(text)), marker));
          t.submitted.push(marker);
          await sleep(r.range(2, 12));
        }
      }),
    );

    await sleep(1500);
    const ackedBeforeKill = tracked.reduce((n, t) => n + t.acks.length, 0);
    await child.kill();
    killed = true;
    const unackedAtKill = tracked.flatMap((t) =>
      [...t.sent.keys()].filter((seq) => !t.acks.some((a) => a.seq === seq)).map((seq) => ({ t, seq })),
    );
    console.log(
      `crash: killed after ${ackedBeforeKill} acks, with ${unackedAtKill.length} ops sent and unacknowledged`,
    );
    expect(ackedBeforeKill).toBeGreaterThan(20);

    // The clients keep editing while the server is down, then it comes back on the same data.
    await sleep(300);
    child = await ChildServer.start(port, dataDir);
    await waitFor(
      () => tracked.every((t) => t.live.client.state === 'connected'),
      'every client to reconnect',
      30_000,
    );
    await sleep(500);
    loading = false;
    await load;

    try {
      await waitFor(
        () => tracked.every((t) => !t.doc.hasPendingOps),
        'every client’s ops to be acknowledged after the restart',
        30_000,
      );
      for (const d of docs) {
        const mine = tracked.filter((t) => t.docId === d.id);
        const server = await api.getDoc(owner.token, d.id);
        await waitFor(
          () => mine.every((t) => t.doc.version === server.version),
          `clients of ${d.kind} to catch up`,
        );
        for (const t of mine) expect(t.doc.data, t.live.label).toEqual(server.content);

        const log: CommittedRecord[] = await api.allOps(owner.token, d.id);
        expect(log).toHaveLength(server.version);
        expect(checkLog(log)).toEqual([]);
        const type = mine[0]?.doc.type;
        if (!type) throw new Error('no type');
        expect(replay(type, d.initial, log)).toEqual(server.content);

        // Every acknowledged op is in the log at its version, as that client's (clientId, seq) and content.
        for (const t of mine) {
          for (const a of t.acks) {
            const rec = log[a.version - 1];
            expect(
              { clientId: rec?.clientId, seq: rec?.seq },
              `${t.live.label} ack seq ${a.seq} at ${a.version} (${a.beforeKill ? 'before' : 'after'} the kill)`,
            ).toEqual({ clientId: t.live.client.clientId, seq: a.seq });
            expect(sorted(insertedMarkers(d.kind, rec?.op))).toEqual(sorted(t.sent.get(a.seq) ?? []));
          }
          // Every op it sent, acknowledged before the kill or not, was committed exactly once.
          for (const seq of t.sent.keys()) {
            const hits = log.filter((r) => r.clientId === t.live.client.clientId && r.seq === seq);
            expect(hits.length, `${t.live.label} seq ${seq}`).toBe(1);
          }
          expect(t.problems).toEqual([]);
        }

        // Every marker typed is in the document once, and in the log once: nothing lost, nothing doubled.
        const submitted = [
          markersIn(plain(d.kind, type.create(d.initial)))[0] as string,
          ...mine.flatMap((t) => t.submitted),
        ];
        expect(sorted(markersIn(plain(d.kind, server.content)))).toEqual(sorted(submitted));
        expect(sorted(log.flatMap((r) => insertedMarkers(d.kind, r.op)))).toEqual(sorted(submitted.slice(1)));
      }
      for (const { t, seq } of unackedAtKill) {
        expect(
          t.acks.filter((a) => a.seq === seq && !a.beforeKill),
          `${t.live.label} seq ${seq}`,
        ).toHaveLength(1);
      }
    } catch (err) {
      console.log(`server output:\n${child.output.join('')}`);
      throw err;
    }
  }, 180_000);
});
