import { env } from '@tandem/config';
import { authConfig, postgresConfig, redisConfig, serviceConfig } from '@tandem/distributed';
import { z } from 'zod';

export const gatewayConfig = z.object({
  ...serviceConfig,
  ...redisConfig,
  ...postgresConfig,
  ...authConfig,
  /** The WebSocket endpoint (/ws) and /healthz, /readyz, /metrics. */
  PORT: env.port(8081),
  /** Ops per second one socket may submit, sustained. */
  OPS_PER_SECOND: env.number(50, 1),
  /** Documents one socket may have open. */
  MAX_DOCS_PER_SOCKET: env.int(100, 1),
});

export type GatewayConfig = z.infer<typeof gatewayConfig>;
