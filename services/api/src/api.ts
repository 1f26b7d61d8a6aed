import { buildApi } from '@tandem/api';
import { CollabRouter } from '@tandem/collab-remote';
import {
  openElasticsearch,
  openKafkaEvents,
  openPostgresStores,
  openRedis,
  requireAuth,
  tokenVerifier,
} from '@tandem/distributed';
import type { Logger } from '@tandem/logging';
import { createRegistry } from '@tandem/metrics';
import type { ApiConfig } from './config.js';

/**
 * The REST API: documents and permissions on Postgres; search on Elasticsearch (kept up
 * to date by the search-indexer service); timelines on Postgres (written by the history service); content, history and restore through the worker
 * that owns each document; lifecycle events to Kafka.
 */
export async function startApiService(config: ApiConfig, log: Logger) {
  const verify = tokenVerifier(requireAuth(config));
  const registry = createRegistry({ service: 'api' });
  const redis = await openRedis(config, log, 'api');
  const pg = await openPostgresStores(config, log);
  const events = openKafkaEvents(config, log, registry);
  const search = await openElasticsearch(config, pg.metadata);
  const router = await CollabRouter.start({ inbox: redis.inbox, workers: redis.workers, events, log });
  let ready = true;
  const app = await buildApi({
    log,
    registry,
    engine: router,
    metadata: pg.metadata,
    search,
    history: pg.history,
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
      await router.close();
      await search.close();
      await events.close();
      await pg.close();
      await redis.close();
    },
  };
}
