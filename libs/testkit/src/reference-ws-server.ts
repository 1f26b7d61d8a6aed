import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { ReferenceServer } from './reference-server.js';

export interface ReferenceWsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves a ReferenceServer over real WebSockets (ws), one session per socket, so the
 * client's WebSocket connection can be tested end to end and tried by hand.
 */
export function serveReferenceServer(
  server: ReferenceServer,
  port = 0,
  host = '127.0.0.1',
): Promise<ReferenceWsServer> {
  const wss = new WebSocketServer({ port, host, maxPayload: 1024 * 1024 });
  wss.on('connection', (socket) => {
    const session = server.connect((data) => socket.send(data));
    socket.on('message', (data) => session.receive(data.toString()));
    socket.on('close', () => session.close());
  });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      const { port: actual } = wss.address() as AddressInfo;
      resolve({
        url: `ws://${host}:${actual}`,
        close: () =>
          new Promise((done) => {
            for (const client of wss.clients) client.terminate();
            wss.close(() => done());
          }),
      });
    });
  });
}
