import { ReferenceServer, serveReferenceServer } from '@tandem/testkit';
import { serveCommands } from './targets/ipc.js';

/**
 * The Tandem in-memory reference server as a process of its own, for the load generator
 * (targets/reference-target.ts forks it and reads its CPU and memory from /proc). Documents
 * are `text` documents created on the generator's command over IPC; run by hand,
 * `LOAD_DOCS=N` pre-creates load-0 … load-(N-1) (content: LOAD_CONTENT, default empty).
 *
 *   PORT=8090 LOAD_DOCS=10 pnpm exec tsx --conditions=@tandem/source src/reference-server-process.ts
 */
const port = Number(process.env.PORT ?? 0);
const server = new ReferenceServer();
for (let i = 0; i < Number(process.env.LOAD_DOCS ?? 0); i++) {
  server.createDoc(`load-${i}`, 'text', process.env.LOAD_CONTENT ?? '');
}
const served = await serveReferenceServer(server, port);
serveCommands(served.url, async (docIds, content) => {
  for (const id of docIds) server.createDoc(id, 'text', content);
});
if (!process.send) console.log(`Tandem reference server on ${served.url}`);
const stop = () => void served.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
