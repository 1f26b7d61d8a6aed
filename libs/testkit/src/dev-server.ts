import { ReferenceServer } from './reference-server.js';
import { serveReferenceServer } from './reference-ws-server.js';

/**
 * `pnpm start` until the embedded server (issue #3) lands: the in-memory reference
 * server on a WebSocket, with one demo document of each type. Nothing is stored.
 */
const port = Number(process.env.PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(2);
}
const server = new ReferenceServer();
server.createDoc('demo-text', 'text', 'Hello from Tandem.');
server.createDoc('demo-rich-text', 'rich-text', [
  { insert: 'Hello ' },
  { insert: 'Tandem', attributes: { bold: true } },
]);
server.createDoc('demo-json1', 'json1', { title: 'Board', cards: [] });
const served = await serveReferenceServer(server, port);
console.log(`Tandem reference server (in memory, nothing stored) on ${served.url}`);
console.log('Documents: demo-text, demo-rich-text, demo-json1. Any token is accepted as the user name.');
const stop = () => void served.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
