import { colorOf } from '@tandem/core';
import { type Msg, RawSocket } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { startTestCluster } from './harness.js';

/**
 * Issue 5's presence across processes: each gateway runs a presence hub over the same Redis
 * entries, and every document's batch reaches the clients of every gateway over its Redis
 * channel. The clients are raw sockets, so what is checked is the wire.
 */

const isBatch = (docId: string) => (m: Msg) => m.type === 'presence-batch' && m.docId === docId;
const userIn = (batch: Msg, clientId: string): Msg | undefined =>
  (batch.users as Msg[]).find((u) => u.clientId === clientId);
const has = (batch: Msg, socket: RawSocket) => userIn(batch, socket.clientId) !== undefined;
/** Whether `m` is one of the messages `socket` received after its first `count`. */
const receivedAfter = (socket: RawSocket, count: number) => (m: Msg) => socket.received.indexOf(m) >= count;

/** How long to wait for a batch: generous, as the cluster shares the machine; nothing here asserts time. */
const BATCH_WAIT_MS = 30_000;

describe('cluster: presence across gateways', () => {
  it('shows each cursor to the other gateway’s clients, drops a closed socket’s entry at once, and a killed gateway’s by its time to live', async () => {
    const tc = await startTestCluster('presence');
    const { api, owner, cluster } = tc;
    const [url1, url2] = cluster.gatewayUrls as [string, string];
    const [ada, bob, cy] = await Promise.all(
      ['presence ada', 'presence bob', 'presence cy'].map((name) => api.signIn(name)),
    );
    if (!ada || !bob || !cy) throw new Error('sign-in failed');
    const docId = await api.createDoc(owner.token, 'text', 'hello world');
    for (const user of [ada, bob, cy]) await api.grant(owner.token, docId, user.userId, 'editor');
    const batch = isBatch(docId);

    // Ada on gateway 1 selects "world"; Bob on gateway 2 puts his caret at the start.
    const a = await RawSocket.hello(url1, ada.token);
    const b = await RawSocket.hello(url2, bob.token);
    const v0 = (await a.join(docId)).version as number;
    await b.join(docId);
    a.send({ type: 'presence', docId, version: v0, selection: { anchor: 6, head: 11 } });
    b.send({ type: 'presence', docId, version: v0, selection: { anchor: 0, head: 0 } });
    const seenByBob = await b.next((m) => batch(m) && userIn(m, a.clientId) !== undefined, BATCH_WAIT_MS);
    expect(userIn(seenByBob, a.clientId)).toEqual({
      userId: ada.userId,
      clientId: a.clientId,
      name: ada.name,
      color: colorOf(ada.userId),
      selection: { anchor: 6, head: 11 },
    });
    const seenByAda = await a.next((m) => batch(m) && userIn(m, b.clientId) !== undefined, BATCH_WAIT_MS);
    expect(userIn(seenByAda, b.clientId)).toEqual({
      userId: bob.userId,
      clientId: b.clientId,
      name: bob.name,
      color: colorOf(bob.userId),
      selection: { anchor: 0, head: 0 },
    });

    // Bob types "Oh, " at the start (his caret, pushed along by his own insert, is then at 4:
    // restating it there is no move and causes no batch), then moves to 5: the batch his move
    // causes is at the new version, with Ada's selection (reported before the op) moved past
    // his insert.
    b.op(docId, 1, v0, ['Oh, ']);
    const v1 = (await b.next((m) => m.type === 'ack' && m.seq === 1, BATCH_WAIT_MS)).version as number;
    b.send({ type: 'presence', docId, version: v1, selection: { anchor: 5, head: 5 } });
    const transformed = await b.next((m) => batch(m) && m.version >= v1, BATCH_WAIT_MS);
    expect(transformed.version).toBe(v1);
    expect(userIn(transformed, a.clientId)?.selection).toEqual({ anchor: 10, head: 15 });
    expect(userIn(transformed, b.clientId)?.selection).toEqual({ anchor: 5, head: 5 });

    // Ada reports last, then closes her socket. Nobody moves after that, so any batch that
    // comes is the removal's; and Bob, whose entry is older than Ada's, is still in it: Ada
    // went by the close, not by her entry's time running out.
    a.send({ type: 'presence', docId, version: v1, selection: { anchor: 10, head: 10 } });
    await b.next((m) => batch(m) && userIn(m, a.clientId)?.selection?.head === 10, BATCH_WAIT_MS);
    const sinceClose = receivedAfter(b, b.received.length);
    a.close();
    await a.closed;
    const afterClose = await b.next((m) => sinceClose(m) && batch(m) && !has(m, a), BATCH_WAIT_MS);
    expect(has(afterClose, b)).toBe(true);

    // Cy, on gateway 1 too, is still there when gateway 1 is killed: nothing removed her
    // entry. It goes once its time to live is over, and Bob's next batch leaves her out.
    const c = await RawSocket.hello(url1, cy.token);
    await c.join(docId);
    c.send({ type: 'presence', docId, version: v1, selection: { anchor: 2, head: 2 } });
    await b.next((m) => batch(m) && has(m, c), BATCH_WAIT_MS);
    const sinceKill = receivedAfter(b, b.received.length);
    await cluster.gateways[0]?.kill();
    const killedAt = Date.now();
    let at = 0;
    // Bob keeps moving, so his gateway keeps sending batches (an expiry alone causes none).
    const mover = setInterval(() => {
      at = (at + 1) % 5;
      b.send({ type: 'presence', docId, version: v1, selection: { anchor: at, head: at } });
    }, 250);
    try {
      const stillThere = await b.next((m) => sinceKill(m) && batch(m), BATCH_WAIT_MS);
      expect(has(stillThere, c), 'Cy right after her gateway was killed').toBe(true);
      const gone = await b.next((m) => sinceKill(m) && batch(m) && !has(m, c), BATCH_WAIT_MS);
      expect(has(gone, b)).toBe(true);
      console.log(
        `presence: Cy's entry left the batches ${Date.now() - killedAt} ms after her gateway was killed`,
      );
    } finally {
      clearInterval(mover);
      b.close();
      c.close();
    }
  }, 180_000);
});
