import { connectWebSocket, TandemClient } from '@tandem/client';
import { ReferenceServer, type ReferenceWsServer, serveReferenceServer } from '@tandem/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

function until(predicate: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (predicate()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

describe('the client over real WebSockets', () => {
  let served: ReferenceWsServer | undefined;
  const closers: (() => void)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0)) close();
    await served?.close();
  });

  it('two clients on 127.0.0.1 edit one document and converge', async () => {
    const server = new ReferenceServer();
    server.createDoc('d1', 'text', '');
    served = await serveReferenceServer(server);
    const clients = ['ann', 'bob'].map((name) => new TandemClient({ token: name }));
    for (const c of clients)
      closers.push(connectWebSocket(c, (served as ReferenceWsServer).url, { WebSocket }));
    const docs = clients.map((c) => c.open('d1'));
    await until(() => docs.every((d) => d.isReady), 'both clients to join');
    docs[0]?.submit(['ann ']);
    docs[1]?.submit(['bob ']);
    docs[0]?.submit([{ d: 1 }]);
    await until(() => docs.every((d) => !d.hasPendingOps && d.version === server.version('d1')), 'acks');
    expect(docs.map((d) => d.data)).toEqual([server.snapshot('d1'), server.snapshot('d1')]);
    expect(server.replay('d1')).toEqual(server.snapshot('d1'));
  });

  it('a client whose socket drops reconnects, resends its op once and converges', async () => {
    const server = new ReferenceServer();
    server.createDoc('d2', 'text', 'x');
    served = await serveReferenceServer(server);
    const client = new TandemClient({ token: 'cat' });
    closers.push(connectWebSocket(client, served.url, { WebSocket, minDelayMs: 10, maxDelayMs: 50 }));
    const doc = client.open('d2');
    await until(() => doc.isReady, 'join');
    const url = served.url;
    await served.close();
    await until(() => client.state === 'disconnected', 'the drop');
    doc.submit([1, ' offline edit']);
    served = await serveReferenceServer(server, Number(new URL(url).port));
    await until(() => !doc.hasPendingOps, 'the resend to be acknowledged');
    expect(server.snapshot('d2')).toBe('x offline edit');
    expect(server.log('d2')).toHaveLength(1);
  });
});
