import { type Logger, pino } from 'pino';

export type { Logger };

/** The one logger: structured JSON lines (pino), one child per component. */
export function createLogger(options: { name: string; level?: string }): Logger {
  return pino({ name: options.name, level: options.level ?? 'info' });
}

/** A logger that writes nothing, for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
