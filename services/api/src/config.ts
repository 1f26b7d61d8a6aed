import { env } from '@tandem/config';
import {
  authConfig,
  elasticsearchConfig,
  kafkaConfig,
  postgresConfig,
  redisConfig,
  serviceConfig,
} from '@tandem/distributed';
import { z } from 'zod';

export const apiConfig = z.object({
  ...serviceConfig,
  ...redisConfig,
  ...postgresConfig,
  ...kafkaConfig,
  ...elasticsearchConfig,
  ...authConfig,
  /** The REST API, its OpenAPI page (/api/docs), /healthz, /readyz and /metrics. */
  PORT: env.port(8080),
});

export type ApiConfig = z.infer<typeof apiConfig>;
