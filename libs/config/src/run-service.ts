import { isTandemError } from '@tandem/errors';
import { createLogger, type Logger } from '@tandem/logging';
import type { z } from 'zod';
import { loadConfig } from './index.js';

/**
 * A service's whole main: loads its configuration (a bad variable stops it with exit code 2
 * and a message naming each one), starts it, and on SIGINT or SIGTERM closes it (drain,
 * then exit 0; exit 1 if closing fails).
 */
export async function runService<Shape extends z.ZodRawShape>(
  name: string,
  schema: z.ZodObject<Shape>,
  start: (config: z.infer<z.ZodObject<Shape>>, log: Logger) => Promise<{ close(): Promise<void> }>,
): Promise<void> {
  let config: z.infer<z.ZodObject<Shape>>;
  try {
    config = loadConfig(schema);
  } catch (err) {
    console.error(isTandemError(err) ? err.message : err);
    process.exit(2);
  }
  const level = (config as { LOG_LEVEL?: string }).LOG_LEVEL;
  const log = createLogger({ name, ...(level ? { level } : {}) });
  const service = await start(config, log).catch((err: unknown) => {
    log.fatal({ err }, 'could not start');
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'draining');
    service.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
