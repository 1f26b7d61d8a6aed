import { hostname } from 'node:os';
import { env } from '@tandem/config';
import {
  cassandraConfig,
  kafkaConfig,
  postgresConfig,
  redisConfig,
  s3Config,
  serviceConfig,
} from '@tandem/distributed';
import { z } from 'zod';

export const workerConfig = z.object({
  ...serviceConfig,
  ...redisConfig,
  ...cassandraConfig,
  ...kafkaConfig,
  ...s3Config,
  ...postgresConfig,
  /** /healthz, /readyz and /metrics; 0 picks a free port. */
  PORT: env.port(9100),
  /** This worker's member id on the ring; unique per process (a pod name suits). */
  WORKER_ID: env.string(`worker-${hostname()}-${process.pid}`),
});

export type WorkerConfig = z.infer<typeof workerConfig>;
