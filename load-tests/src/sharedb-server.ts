import WebSocketJSONStream from '@teamwork/websocket-json-stream';
import otText from 'ot-text-unicode';
import ShareDB from 'sharedb';
import { WebSocketServer } from 'ws';
import { SHAREDB_COLLECTION } from './clients/sharedb-common.js';
import { serveCommands } from './targets/ipc.js';

/**
 * ShareDB as the load generator's comparison target, in a process of its own: the
 * default in-memory database (MemoryDB) and pub/sub, the ot-text-unicode type, and a ws
 * transport through @teamwork/websocket-json-stream (what ShareDB's own examples use).
 * Documents live in the `docs` collection and are created on the generator's command
 * over IPC; run by hand, `LOAD_DOCS=N` pre-creates load-0 … load-(N-1).
 *
 *   PORT=8091 LOAD_DOCS=10 pnpm exec tsx src/sharedb-server.ts
 */
ShareDB.types.register(otText.type);
const backend = new ShareDB({ doNotForwardSendPresenceErrorsToClient: true });
const local = backend.connect();

function createDocs(docIds: string[], content: string): Promise<void> {
  return Promise.all(
    docIds.map(
      (id) =>
        new Promise<void>((resolve, reject) =>
          local
            .get(SHAREDB_COLLECTION, id)
            .create(content, otText.type.uri, (err) => (err ? reject(err) : resolve())),
        ),
    ),
  ).then(() => undefined);
}

const port = Number(process.env.PORT ?? 0);
const wss = new WebSocketServer({ port, host: '127.0.0.1', maxPayload: 1024 * 1024 });
wss.on('connection', (ws) => backend.listen(new WebSocketJSONStream(ws)));
await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
const address = wss.address();
const url = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
await createDocs(
  Array.from({ length: Number(process.env.LOAD_DOCS ?? 0) }, (_, i) => `load-${i}`),
  process.env.LOAD_CONTENT ?? '',
);
serveCommands(url, createDocs);
if (!process.send) console.log(`ShareDB server on ${url}`);
const stop = () => {
  for (const client of wss.clients) client.terminate();
  wss.close(() => backend.close(() => process.exit(0)));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
