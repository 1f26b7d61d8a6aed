import type { ClientDoc } from '@tandem/client';
import {
  type CommittedRecord,
  checkLog,
  LiveClient,
  Random,
  randomInitial,
  randomOp,
  replay,
  seedFromEnv,
  sleep,
  waitFor,
} from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { useTestServer } from './helpers.js';

/**
 * Contract item 1 over real sockets: 4 documents (text, rich-text, json1, text) × 4
 * clients, each client its own TandemClient and WebSocket, all editing at once with
 * random valid ops (seeded: E2E_SEED=<seed> replays the same op choices; the
 * interleaving is the network's).
 */
const DOC_TYPES = ['text', 'rich-text', 'json1', 'text'] as const;
const CLIENTS_PER_DOC = 4;
const OPS_PER_CLIENT = 40;

describe('convergence: many clients on many documents', () => {
  const testServer = useTestServer();

  it('every client ends with the server’s content, and the server’s content is the replay of its op log', async () => {
    const seed = seedFromEnv('E2E_SEED', Math.floor(Math.random() * 2 ** 31));
    console.log(`convergence seed: ${seed} (replay the op choices with E2E_SEED=${seed})`);
    const rng = new Random(seed);
    const { api } = testServer();

    const owner = await api.signIn('Convergence Owner');
    const editors = await Promise.all(
      Array.from({ length: CLIENTS_PER_DOC }, (_, i) => api.signIn(`Convergence Editor ${i}`)),
    );

    const docs = await Promise.all(
      DOC_TYPES.map(async (type) => {
        const initial = randomInitial(type, rng);
        const id = await api.createDoc(owner.token, type, initial);
        for (const e of editors) await api.grant(owner.token, id, e.userId, 'editor');
        return { id, type, initial };
      }),
    );

    const acks: { clientId: string; docId: string; seq: number; version: number }[] = [];
    const problems: string[] = [];
    const clients: { live: LiveClient; doc: ClientDoc; type: (typeof DOC_TYPES)[number]; docId: string }[] =
      [];
    for (const d of docs) {
      for (const e of editors) {
        const live = new LiveClient(testServer().wsUrl, e.token, `${e.userId}@${d.type}`).connect();
        const doc = live.open(d.id);
        doc.on('ack', ({ seq, version }) =>
          acks.push({ clientId: live.client.clientId, docId: d.id, seq, version }),
        );
        doc.on('reset', ({ error }) => problems.push(`${live.label} reset: ${error.code} ${error.message}`));
        doc.on('error', (error) => {
          if (!error.retryable) problems.push(`${live.label} error: ${error.code} ${error.message}`);
        });
        clients.push({ live, doc, type: d.type, docId: d.id });
      }
    }

    try {
      await waitFor(() => clients.every((c) => c.doc.isReady), 'every client to join', 20_000);

      await Promise.all(
        clients.map(async (c) => {
          const r = rng.fork();
          for (let i = 0; i < OPS_PER_CLIENT; i++) {
            await sleep(r.int(12));
            c.doc.submit(randomOp(c.type, r, c.doc.data));
          }
        }),
      );

      await waitFor(
        () => clients.every((c) => !c.doc.hasPendingOps),
        'every client’s ops to be acknowledged',
        30_000,
      );

      for (const d of docs) {
        const server_ = await api.getDoc(owner.token, d.id);
        const mine = clients.filter((c) => c.docId === d.id);
        await waitFor(
          () => mine.every((c) => c.doc.version === server_.version),
          `the clients of the ${d.type} document to reach version ${server_.version}`,
          15_000,
        );
        const type = mine[0]?.doc.type;
        if (!type) throw new Error('no document type');
        for (const c of mine) expect(c.doc.data, `${c.live.label}, seed ${seed}`).toEqual(server_.content);

        const log: CommittedRecord[] = await api.allOps(owner.token, d.id);
        console.log(`convergence: the ${d.type} document ends at version ${server_.version}`);
        expect(log.length, `${d.type} op log length, seed ${seed}`).toBe(server_.version);
        expect(checkLog(log), `seed ${seed}`).toEqual([]);
        expect(replay(type, d.initial, log), `${d.type} replay of the op log, seed ${seed}`).toEqual(
          server_.content,
        );

        // Every op each client had acknowledged is at its version in the log, under its (clientId, seq).
        for (const a of acks.filter((x) => x.docId === d.id)) {
          const rec = log[a.version - 1];
          expect({ clientId: rec?.clientId, seq: rec?.seq }, `ack ${a.clientId}#${a.seq}`).toEqual({
            clientId: a.clientId,
            seq: a.seq,
          });
        }
        // Every committed op of this document came from one of its clients.
        const ids = new Set(mine.map((c) => c.live.client.clientId));
        expect(log.every((r) => ids.has(r.clientId))).toBe(true);
      }
      expect(problems, `seed ${seed}`).toEqual([]);
      expect(acks.length).toBeGreaterThan(0);
    } finally {
      for (const c of clients) c.live.disconnect();
    }
  }, 90_000);
});
