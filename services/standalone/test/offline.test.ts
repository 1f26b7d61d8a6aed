import type { ClientDoc } from '@tandem/client';
import { checkLog, LiveClient, Random, replay, seedFromEnv, sleep, waitFor } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { useTestServer } from './helpers.js';

/** Code-point offsets in `text` where a marker may go: the start, the end, and after each `]`. */
function boundaries(text: string): number[] {
  const out = [0];
  let at = 0;
  for (const ch of text) {
    at += 1;
    if (ch === ']') out.push(at);
  }
  if (out[out.length - 1] !== at) out.push(at);
  return out;
}

/** A text op inserting `marker` at one of the marker boundaries of `text`. */
function insertMarker(rng: Random, text: string, marker: string): unknown[] {
  const at = rng.pick(boundaries(text));
  return at === 0 ? [marker] : [at, marker];
}

function count(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/**
 * An editor that loses its connection keeps editing; another editor goes on editing
 * meanwhile; when the first comes back, both converge and every offline edit is in the
 * document exactly once. Markers are inserted only between whole markers, so the
 * document stays a sequence of them and each can be counted.
 */
describe('offline editing', () => {
  const testServer = useTestServer();

  it('a client edits offline while another edits online; on reconnect nothing is lost or doubled', async () => {
    const seed = seedFromEnv('E2E_SEED', Math.floor(Math.random() * 2 ** 31));
    console.log(`offline seed: ${seed}`);
    const rng = new Random(seed);
    const { api } = testServer();
    const alice = await api.signIn('Offline Alice');
    const bob = await api.signIn('Online Bob');
    const docId = await api.createDoc(alice.token, 'text', '[start]');
    await api.grant(alice.token, docId, bob.userId, 'editor');

    const a = new LiveClient(testServer().wsUrl, alice.token, 'alice').connect();
    const b = new LiveClient(testServer().wsUrl, bob.token, 'bob').connect();
    const docA = a.open(docId);
    const docB = b.open(docId);
    const resets: string[] = [];
    for (const d of [docA, docB])
      d.on('reset', ({ error }) => resets.push(`${error.code}: ${error.message}`));
    try {
      await waitFor(() => docA.isReady && docB.isReady, 'both clients to join');

      const submitted: string[] = [];
      const edit = (doc: ClientDoc, marker: string) => {
        doc.submit(insertMarker(rng, doc.data as string, marker));
        submitted.push(marker);
      };

      // Some editing together first.
      for (let i = 0; i < 10; i++) {
        edit(docA, `[a-on-${i}]`);
        edit(docB, `[b-on-${i}]`);
        await sleep(rng.int(5));
      }
      await waitFor(() => !docA.hasPendingOps && !docB.hasPendingOps, 'the online edits to be acknowledged');

      // Alice goes offline and keeps typing: many small edits, then a few large ones,
      // so her pending work is more than one op may carry (the client queues it in parts).
      a.disconnect();
      await waitFor(() => a.client.state === 'disconnected', 'alice to be disconnected');
      const offline: string[] = [];
      for (let i = 0; i < 200; i++) {
        const marker = i % 40 === 39 ? `[a-off-${i}-${'x'.repeat(12_000)}]` : `[a-off-${i}]`;
        edit(docA, marker);
        offline.push(marker);
        if (i % 50 === 0) {
          edit(docB, `[b-while-${i}]`);
          await sleep(rng.int(10));
        }
      }
      for (let i = 0; i < 20; i++) edit(docB, `[b-while-end-${i}]`);
      await waitFor(() => !docB.hasPendingOps, 'bob’s edits to be acknowledged while alice is away');
      const whileAway = await api.getDoc(alice.token, docId);
      for (const m of offline) expect(count(whileAway.content as string, m)).toBe(0);

      // Alice comes back on a new socket, and both keep editing as she syncs.
      a.connect();
      for (let i = 0; i < 5; i++) {
        edit(docA, `[a-back-${i}]`);
        edit(docB, `[b-back-${i}]`);
        await sleep(rng.int(5));
      }

      await waitFor(
        () => a.client.state === 'connected' && !docA.hasPendingOps && !docB.hasPendingOps,
        'both clients to be acknowledged after the reconnect',
        20_000,
      );
      const final = await api.getDoc(alice.token, docId);
      await waitFor(
        () => docA.version === final.version && docB.version === final.version,
        'both clients to reach the server’s version',
      );
      expect(docA.data).toEqual(final.content);
      expect(docB.data).toEqual(final.content);

      const text = final.content as string;
      for (const m of ['[start]', ...submitted]) expect(count(text, m), m.slice(0, 40)).toBe(1);
      // Nothing but the markers: the document is exactly their concatenation, in some order.
      expect(text.length).toBe(['[start]', ...submitted].reduce((n, m) => n + m.length, 0));

      const log = await api.allOps(alice.token, docId);
      expect(checkLog(log)).toEqual([]);
      const type = docA.type;
      if (!type) throw new Error('no type');
      expect(replay(type, '[start]', log)).toEqual(text);
      expect(resets).toEqual([]);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  }, 60_000);
});
