/** The part of a structured logger (pino's) the core writes to. */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * What the engine reports for metrics. The service maps these to Prometheus instruments,
 * so the core depends on no metrics library.
 */
export interface EngineObserver {
  /** A batch was committed: how many ops, and how long it took from its first op's arrival. */
  batchCommitted(ops: number, seconds: number): void;
  /** An op was refused with `code`. */
  opRefused(code: string): void;
  /** Events waiting to be published (the outbox), after each publish attempt. */
  eventBacklog(size: number): void;
  /** Documents currently loaded in memory. */
  liveDocs(count: number): void;
}

export const noopObserver: EngineObserver = {
  batchCommitted: () => {},
  opRefused: () => {},
  eventBacklog: () => {},
  liveDocs: () => {},
};

export const silentLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
