import { env } from '@tandem/config';
import {
  elasticsearchConfig,
  kafkaConfig,
  postgresConfig,
  redisConfig,
  serviceConfig,
} from '@tandem/distributed';
import { z } from 'zod';

export const searchIndexerConfig = z.object({
  ...serviceConfig,
  ...redisConfig,
  ...postgresConfig,
  ...kafkaConfig,
  ...elasticsearchConfig,
  /** /healthz, /readyz and /metrics (consumer lag among them). */
  PORT: env.port(9200),
  /** How long after a document's first unindexed change it is indexed. */
  SEARCH_DEBOUNCE_MS: env.int(3000, 0),
});

export type SearchIndexerConfig = z.infer<typeof searchIndexerConfig>;
