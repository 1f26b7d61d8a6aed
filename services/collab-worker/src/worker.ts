import { serveCollab } from '@tandem/collab-remote';
import { CollabEngine } from '@tandem/core';
import {
  openCassandraOpLog,
  openKafkaEvents,
  openPostgresStores,
  openRedis,
  openS3Snapshots,
  startOpsServer,
} from '@tandem/distributed';
import { HashRing } from '@tandem/hashring';
import type { Logger } from '@tandem/logging';
import { createRegistry, engineMetrics } from '@tandem/metrics';
import type { WorkerConfig } from './config.js';

/**
 * A collab worker: the commit pipeline over Redis (document state, fan-out, inbox,
 * membership), Cassandra (op log), S3 (snapshots), Kafka (events) and Postgres (the
 * documents' metadata, for rebuilding one whose snapshots are all corrupt). It listens on its
 * inbox before it joins the ring, so nothing is routed to it that it would miss, and
 * leaves the ring before it stops listening, so a clean stop hands its documents over
 * at once instead of after the heartbeat TTL.
 */
export async function startWorker(config: WorkerConfig, log: Logger) {
  const id = config.WORKER_ID;
  const registry = createRegistry({ service: 'collab-worker', worker: id });
  const redis = await openRedis(config, log, id);
  const cassandra = await openCassandraOpLog(config);
  const events = openKafkaEvents(config, log, registry);
  const snapshots = await openS3Snapshots(config, log);
  // Only read when every snapshot of a document is corrupt: its type and version 0 are there.
  const pg = await openPostgresStores(config, log);
  const engine = new CollabEngine({
    state: redis.state,
    opLog: cassandra.opLog,
    snapshots,
    metadata: pg.metadata,
    fanOut: redis.fanOut,
    events,
    log,
    observer: engineMetrics(registry),
  });
  const stopServing = await serveCollab({ engine, inbox: redis.inbox, memberId: id, log });
  // Documents another worker owns now are dropped from memory, so no stale copy answers reads.
  const unwatch = redis.workers.watch((members) => {
    const ring = new HashRing(members);
    engine.release((docId) => ring.owner(docId) === id);
  });
  const leave = await redis.workers.join(id, config.WORKER_TTL_MS);
  let ready = true;
  const ops = await startOpsServer({ port: config.PORT, host: config.HOST, registry, ready: () => ready });
  log.info({ worker: id, port: ops.port }, 'collab worker is running');

  return {
    id,
    port: ops.port,
    async close() {
      ready = false;
      await leave();
      unwatch();
      await stopServing();
      await engine.close();
      await ops.close();
      await events.close();
      snapshots.close();
      await cassandra.close();
      await pg.close();
      await redis.close();
    },
  };
}
