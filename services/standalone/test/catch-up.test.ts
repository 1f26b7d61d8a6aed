import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openPglite } from '@tandem/adapters-pglite';
import { SqlMetadataStore, SqlSnapshotStore } from '@tandem/adapters-sql';
import type { ClientDoc } from '@tandem/client';
import { Api, devSignIn, freePort, LiveClient, replay, waitFor, wsUrlOf } from '@tandem/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildServer } from './child-server.js';
import { tempDataDir } from './helpers.js';

/**
 * Embedded mode after a crash (issue #5, catching up): its event bus is in memory, so what
 * the snapshotter and the search indexer had not done yet when the process was SIGKILLed
 * is gone with it, and the restart on the same data must make up for it.
 */

/** Ops per document: snapshots due at 100 and 200, and 50 more that only time (or a restart) snapshots. */
const OPS = 250;
/** The last markers typed into each document, looked up through GET /api/v1/search after the restart. */
const LOOKUPS = 5;

/** A counter of the server's /metrics, for one value of one label. */
async function counter(url: string, name: string, label: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(label));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

// This test types faster than a person; the per-socket limit is not under test.
const FAST_TYPING = { OPS_PER_SECOND: '1000' };

type Kind = 'text' | 'rich-text';

/** The document's text: markers are ASCII, so code points and UTF-16 units agree. */
function plain(kind: Kind, data: unknown): string {
  if (kind === 'text') return data as string;
  return (data as { insert?: unknown }[]).map((c) => (typeof c.insert === 'string' ? c.insert : '')).join('');
}

/** Appends `marker` to a text or rich-text document and waits for its ack. */
async function append(kind: Kind, doc: ClientDoc, marker: string): Promise<void> {
  const at = plain(kind, doc.data).length;
  doc.submit(kind === 'text' ? [at, marker] : [{ retain: at }, { insert: marker }]);
  await waitFor(() => !doc.hasPendingOps, `the ack of ${marker}`, 20_000, 2);
}

describe('standalone: catching up after a crash', () => {
  let server: ChildServer | undefined;
  let dataDir: string | undefined;
  let live: LiveClient | undefined;

  afterAll(async () => {
    live?.disconnect();
    await server?.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('snapshots and indexes, after a restart, what was edited just before a SIGKILL', async () => {
    dataDir = await tempDataDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    server = await ChildServer.start(port, dataDir, FAST_TYPING);
    const api = new Api(url, devSignIn(url));
    const owner = await api.signIn('Catch-up Owner');
    const initial = { text: '[t0]', 'rich-text': [{ insert: '[r0]' }] } as const;
    const docs = await Promise.all(
      (['text', 'rich-text'] as const satisfies readonly Kind[]).map(async (type) => ({
        type,
        id: await api.createDoc(owner.token, type, initial[type]),
      })),
    );
    live = new LiveClient(wsUrlOf(url), owner.token, 'owner').connect();
    const client = live;
    const opened = docs.map((d) => ({ ...d, doc: client.open(d.id), typed: [] as string[] }));
    await waitFor(() => opened.every((d) => d.doc.isReady), 'both documents to open', 20_000);

    const search = async (word: string) => {
      const res = await api.request('GET', `/api/v1/search?q=${word}`, { token: owner.token });
      return (res.body.hits as { docId: string }[]).map((h) => h.docId);
    };
    const type = (count: number) =>
      Promise.all(
        opened.map(async (d, n) => {
          for (let i = 0; i < count; i++) {
            const marker = `[d${n}w${d.typed.length + 1}]`;
            await append(d.type, d.doc, marker);
            d.typed.push(marker);
          }
        }),
      );

    await type(OPS - 1);
    await waitFor(
      async () => {
        for (const d of opened)
          if (!(await search((d.typed.at(-1) ?? '').slice(1, -1))).includes(d.id)) return false;
        return true;
      },
      'the index to hold what was typed so far',
      30_000,
      200,
    );
    // The last marker: its index is then due after the indexer's debounce, and the snapshot
    // at 250 after its time, both in this process's memory only; the ones at 100 and 200 are
    // stored.
    await type(1);
    await waitFor(
      async () => (await counter(url, 'tandem_snapshots_written_total', 'reason="ops"')) === 2 * docs.length,
      'the snapshots at 100 and 200',
      30_000,
      20,
    );
    await server.kill();
    server = await ChildServer.start(port, dataDir, FAST_TYPING);

    try {
      const lookups = opened.flatMap((d) =>
        d.typed.slice(-LOOKUPS).map((marker) => ({ docId: d.id, word: marker.slice(1, -1) })),
      );
      const unfound = async () => {
        for (const { docId, word } of lookups) if (!(await search(word)).includes(docId)) return true;
        return false;
      };
      // On a time-out the assertions below say which word was not found.
      await waitFor(async () => !(await unfound()), 'the last words typed to be found', 30_000, 200).catch(
        () => undefined,
      );
      for (const { docId, word } of lookups) {
        // Soft, so that the snapshots are checked as well whatever the search finds.
        expect.soft(await search(word), `the documents a search for ${word} finds`).toContain(docId);
      }

      // The start-up check snapshots each document at 250: one snapshot each.
      await waitFor(
        async () =>
          (await counter(url, 'tandem_snapshots_written_total', 'reason="catch-up"')) === docs.length,
        'the start-up check to snapshot both documents',
        30_000,
        50,
      );
      const logs = await Promise.all(opened.map((d) => api.allOps(owner.token, d.id)));
      live.disconnect();
      await server.stop();

      // Where startEmbedded keeps its database (src/embedded.ts).
      const db = await openPglite(join(dataDir, 'pg'));
      try {
        const snapshots = new SqlSnapshotStore(db);
        const metadata = new SqlMetadataStore(db);
        for (const [i, d] of opened.entries()) {
          const log = logs[i] ?? [];
          const docType = d.doc.type;
          if (!docType) throw new Error(`no type for ${d.id}`);
          expect(log, `${d.type}: op log`).toHaveLength(OPS);
          expect((await metadata.snapshotState(d.id))?.latestSnapshot, `${d.type}: recorded snapshot`).toBe(
            OPS,
          );
          for (const version of [100, 200, OPS]) {
            const stored = await snapshots.latest(d.id, version);
            expect(stored?.version, `${d.type}: the snapshot at ${version}`).toBe(version);
            expect(stored?.data, `${d.type}: the snapshot at ${version} is the op log replayed`).toEqual(
              replay(docType, initial[d.type], log.slice(0, version)),
            );
          }
        }
      } finally {
        await db.close();
      }
    } catch (err) {
      console.log(`server output:\n${server.output.join('')}`);
      throw err;
    }
  }, 180_000);
});
