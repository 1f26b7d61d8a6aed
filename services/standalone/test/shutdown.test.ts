import type { TandemClientEvents } from '@tandem/client';
import { LiveClient, RawSocket, waitFor } from '@tandem/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * Graceful shutdown: close() of the embedded server tells every connected client to
 * reconnect (a `redirect`) before it closes their sockets.
 */
describe('graceful shutdown', () => {
  let server: TestServer | undefined;

  afterAll(async () => {
    await server?.close();
  }, 30_000);

  it('close() sends every connected client a redirect, then closes its socket', async () => {
    server = await startTestServer();
    const { api } = server;
    const owner = await api.signIn('Shutdown Owner');
    const docId = await api.createDoc(owner.token, 'text', 'draining');

    // Raw sockets: two joined to a document, one only said hello.
    const joinedA = await RawSocket.hello(server.wsUrl, owner.token);
    await joinedA.join(docId);
    const joinedB = await RawSocket.hello(server.wsUrl, owner.token);
    await joinedB.join(docId);
    const idle = await RawSocket.hello(server.wsUrl, owner.token);
    const raw = [joinedA, joinedB, idle];

    // And an SDK client, which reports the redirect as an event.
    const live = new LiveClient(server.wsUrl, owner.token).connect();
    const redirects: Parameters<TandemClientEvents['redirect']>[0][] = [];
    live.client.on('redirect', (r) => redirects.push(r));
    const doc = live.open(docId);
    await waitFor(() => doc.isReady, 'the SDK client to join');

    await server.close();
    server = undefined;

    for (const ws of raw) {
      const closed = await ws.closed;
      const redirect = ws.all((m) => m.type === 'redirect');
      expect(redirect).toHaveLength(1);
      expect(redirect[0]).toMatchObject({ type: 'redirect', reason: expect.any(String) });
      // The redirect is the last thing the server said, and the close follows it.
      expect(ws.received.at(-1)?.type).toBe('redirect');
      expect(closed.code).toBe(1012);
    }
    await waitFor(() => redirects.length === 1, 'the SDK client to see the redirect');
    live.disconnect();

    // The server is gone: a new connection is refused.
    await expect(RawSocket.open(joinedA.ws.url)).rejects.toThrow();
  });
});
