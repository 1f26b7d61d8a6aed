import { env } from '@tandem/config';
import { cassandraConfig, kafkaConfig, postgresConfig, serviceConfig } from '@tandem/distributed';
import { z } from 'zod';

export const historyServiceConfig = z.object({
  ...serviceConfig,
  ...cassandraConfig,
  ...kafkaConfig,
  ...postgresConfig,
  /** /healthz, /readyz and /metrics; 0 picks a free port. */
  PORT: env.port(9400),
  /** A user's next op after this long without one starts a new session in the timeline. */
  HISTORY_SESSION_GAP_MS: env.int(5 * 60_000, 1),
  /** How long a document's new timeline entries wait in memory to be written together. */
  HISTORY_FLUSH_MS: env.int(1_000, 0),
  /**
   * Look for documents whose op log is ahead of their timeline when starting (events older
   * than Kafka's retention, entries lost with a crash before they were written). Costs one
   * op-log read and one Postgres read per document.
   */
  HISTORY_CATCH_UP: env.bool(true),
});

export type HistoryServiceConfig = z.infer<typeof historyServiceConfig>;
