import { openCassandraOpLog, openKafkaEvents, openPostgresStores, startOpsServer } from '@tandem/distributed';
import { startHistorySummarizer } from '@tandem/history';
import type { Logger } from '@tandem/logging';
import { createRegistry } from '@tandem/metrics';
import type { HistoryServiceConfig } from './config.js';

/**
 * The history service: consumes the document events from Kafka (group `history`, resuming
 * from its committed offsets), reads what it missed from the Cassandra op log, and writes
 * the timelines to Postgres, where the API reads them. Any number of instances share the
 * topic's partitions.
 */
export async function startHistoryService(config: HistoryServiceConfig, log: Logger) {
  const registry = createRegistry({ service: 'history' });
  const pg = await openPostgresStores(config, log);
  const cassandra = await openCassandraOpLog(config);
  const events = openKafkaEvents(config, log, registry);
  const summarizer = startHistorySummarizer({
    events,
    store: pg.history,
    opLog: cassandra.opLog,
    metadata: pg.metadata,
    log,
    registry,
    sessionGapMs: config.HISTORY_SESSION_GAP_MS,
    flushMs: config.HISTORY_FLUSH_MS,
    catchUp: config.HISTORY_CATCH_UP,
  });
  void summarizer.caughtUp.then(() => log.info('history caught up with every document'));
  let ready = true;
  const ops = await startOpsServer({ port: config.PORT, host: config.HOST, registry, ready: () => ready });
  log.info({ port: ops.port }, 'history service is running');

  return {
    port: ops.port,
    summarizer,
    async close() {
      ready = false;
      await summarizer.stop();
      await events.close();
      await ops.close();
      await cassandra.close();
      await pg.close();
    },
  };
}
