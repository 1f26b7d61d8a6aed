import { env } from '@tandem/config';
import { cassandraConfig, kafkaConfig, postgresConfig, s3Config, serviceConfig } from '@tandem/distributed';
import { z } from 'zod';

export const snapshotServiceConfig = z.object({
  ...serviceConfig,
  ...cassandraConfig,
  ...kafkaConfig,
  ...s3Config,
  ...postgresConfig,
  /** /healthz, /readyz and /metrics; 0 picks a free port. */
  PORT: env.port(9300),
  /** A snapshot at every version that is a multiple of this. */
  SNAPSHOT_EVERY_OPS: env.int(100, 1),
  /** A document whose newest op has waited this long for a snapshot gets one at its newest version. */
  SNAPSHOT_AFTER_MS: env.int(5 * 60_000, 0),
  /**
   * Look for documents with ops in no snapshot when starting: the time-based snapshots a
   * stopped service had pending, and events older than Kafka's retention. Costs one op-log
   * read per document.
   */
  SNAPSHOT_CATCH_UP: env.bool(true),
});

export type SnapshotServiceConfig = z.infer<typeof snapshotServiceConfig>;
