import { resolve } from 'node:path';
import { env } from '@tandem/config';
import { z } from 'zod';

/** The standalone server's environment variables; each default is what a laptop or a small team wants. */
export const standaloneConfig = z.object({
  /** One port for the web editor, the REST API and the WebSocket endpoint (/ws). */
  PORT: env.port(8080),
  /** Loopback by default, so a laptop does not expose its documents; 0.0.0.0 serves the network. */
  HOST: env.string('127.0.0.1'),
  /**
   * PGlite's database (op log, snapshots, documents, permissions, search) lives here. A
   * relative path is taken from where `pnpm start` was typed (pnpm's INIT_CWD), not from
   * the package folder pnpm runs the script in.
   */
  DATA_DIR: env.string('./data').transform((dir) => resolve(process.env.INIT_CWD ?? process.cwd(), dir)),
  LOG_LEVEL: env.logLevel(),
  /**
   * HS256 secret for bearer tokens (at least 32 characters). Unset: a random one is
   * created in DATA_DIR on first start, so tokens survive restarts of the same data.
   */
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Verify tokens against an identity provider's JWKS instead of a shared secret. */
  JWKS_URL: env.url(),
  JWT_ISSUER: env.optionalString(),
  JWT_AUDIENCE: env.optionalString(),
  /** The development sign-in (a token for any name, no password). On by default here, never in distributed mode. */
  DEV_SIGN_IN: env.bool(true),
  /** Ops per second one socket may submit, sustained (see libs/gateway/src/limits.ts for the others). */
  OPS_PER_SECOND: env.number(50, 1),
  /** Documents one socket may have open. */
  MAX_DOCS_PER_SOCKET: env.int(100, 1),
});

export type StandaloneConfig = z.infer<typeof standaloneConfig>;
