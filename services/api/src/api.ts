import { buildApi } from '@tandem/api';
import { CollabRouter } from '@tandem/collab-remote';
import {
  openKafkaEvents,
  openPostgresStores,
  openRedis,
  requireAuth,
  tokenVerifier,
} from '@tandem/distributed';
import type { Logger } from '@tandem/logging';
import { createRegistry } from '@tandem/metrics';
import { startSearchIndexer } from '@tandem/search-indexer';
import type { ApiConfig } from './config.js';

/**
 * The REST API: documents, permissions and search on Postgres; content, history and
 * restore through the worker that owns each document; lifecycle events to Kafka. It also
 * runs the search indexer (Postgres full-text search) until search has a service of its own.
 */
export async function startApiService(config: ApiConfig, log: Logger) {
  const verify = tokenVerifier(requireAuth(config));
  const registry = createRegistry({ service: 'api' });
  const redis = await openRedis(config, log, 'api');
  const pg = await openPostgresStores(config, log);
  const events = openKafkaEvents(config, log, registry);
  const router = await CollabRouter.start({ inbox: redis.inbox, workers: redis.workers, events, log });
  const indexer = startSearchIndexer({
    events,
    engine: router,
    metadata: pg.metadata,
    search: pg.search,
    log,
  });
  let ready = true;
  const app = await buildApi({
    log,
    registry,
    engine: router,
    metadata: pg.metadata,
    search: pg.search,
    fanOut: redis.fanOut,
    verify,
    ready: () => ready,
  });
  await app.listen({ port: config.PORT, host: config.HOST });
  log.info({ url: `http://${config.HOST}:${config.PORT}` }, 'api is running');

  return {
    async close() {
      ready = false;
      await app.close();
      await indexer.stop();
      await router.close();
      await events.close();
      await pg.close();
      await redis.close();
    },
  };
}
