import {
  openCassandraOpLog,
  openKafkaEvents,
  openPostgresStores,
  openS3Snapshots,
  startOpsServer,
} from '@tandem/distributed';
import type { Logger } from '@tandem/logging';
import { createRegistry } from '@tandem/metrics';
import { startSnapshotter } from '@tandem/snapshotter';
import type { SnapshotServiceConfig } from './config.js';

/**
 * The snapshot service: consumes the document events from Kafka (group `snapshotter`,
 * resuming from its committed offsets), reads the Cassandra op log, stores snapshots in S3
 * and records them in Postgres. Any number of instances share the topic's partitions.
 */
export async function startSnapshotService(config: SnapshotServiceConfig, log: Logger) {
  const registry = createRegistry({ service: 'snapshot' });
  const pg = await openPostgresStores(config, log);
  const cassandra = await openCassandraOpLog(config);
  const snapshots = await openS3Snapshots(config, log);
  const events = openKafkaEvents(config, log, registry);
  const snapshotter = startSnapshotter({
    events,
    snapshots,
    opLog: cassandra.opLog,
    metadata: pg.metadata,
    log,
    registry,
    everyOps: config.SNAPSHOT_EVERY_OPS,
    afterMs: config.SNAPSHOT_AFTER_MS,
    catchUp: config.SNAPSHOT_CATCH_UP,
  });
  void snapshotter.caughtUp.then(() => log.info('snapshots caught up with every document'));
  let ready = true;
  const ops = await startOpsServer({ port: config.PORT, host: config.HOST, registry, ready: () => ready });
  log.info({ port: ops.port }, 'snapshot service is running');

  return {
    port: ops.port,
    snapshotter,
    async close() {
      ready = false;
      await snapshotter.stop();
      await events.close();
      await ops.close();
      snapshots.close();
      await cassandra.close();
      await pg.close();
    },
  };
}
