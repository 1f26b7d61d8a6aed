import { CollabRouter } from '@tandem/collab-remote';
import {
  openElasticsearch,
  openKafkaEvents,
  openPostgresStores,
  openRedis,
  startOpsServer,
} from '@tandem/distributed';
import type { Logger } from '@tandem/logging';
import { createRegistry } from '@tandem/metrics';
import { startSearchIndexer } from '@tandem/search-indexer';
import type { SearchIndexerConfig } from './config.js';

/**
 * Keeps Elasticsearch up to date from the Kafka events (consumer group `search-indexer`,
 * resuming from its committed offsets), reading each changed document's content from the
 * worker that owns it and its title from Postgres.
 */
export async function startSearchIndexerService(config: SearchIndexerConfig, log: Logger) {
  const registry = createRegistry({ service: 'search-indexer' });
  const redis = await openRedis(config, log, 'search-indexer');
  const pg = await openPostgresStores(config, log);
  const search = await openElasticsearch(config, pg.metadata);
  const events = openKafkaEvents(config, log, registry);
  const router = await CollabRouter.start({ inbox: redis.inbox, workers: redis.workers, log });
  const indexer = startSearchIndexer({
    events,
    engine: router,
    metadata: pg.metadata,
    search,
    log,
    debounceMs: config.SEARCH_DEBOUNCE_MS,
  });
  const ops = await startOpsServer({ port: config.PORT, host: config.HOST, registry, ready: () => true });
  log.info({ port: ops.port }, 'search indexer is running');

  return {
    async close() {
      await indexer.stop();
      await ops.close();
      await router.close();
      await events.close();
      await search.close();
      await pg.close();
      await redis.close();
    },
  };
}
