import { type ApiDeps, buildApi } from '@tandem/api';
import type { Logger } from '@tandem/logging';
import type { FastifyInstance } from 'fastify';
import { buildWebAssets } from './web-assets.js';

/** The one HTTP server: the REST API, the web editor's files, and (attached later) the WebSocket upgrade. */
export async function createHttpServer(deps: ApiDeps & { log: Logger }): Promise<FastifyInstance> {
  const app = await buildApi(deps);
  const assets = await buildWebAssets();
  for (const [path, asset] of assets) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.header('content-type', asset.contentType).header('cache-control', 'no-cache').send(asset.body),
    );
  }
  return app;
}
