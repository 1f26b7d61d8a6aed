import { Counter, Gauge, metricOnce, type Registry } from '@tandem/metrics';

export interface HistoryMetrics {
  /** One op added to a timeline, `lagSeconds` after it was committed. */
  summarized(lagSeconds: number): void;
  /** Ops read from the op log because their events were missed. */
  filled(ops: number): void;
  saved(entries: number): void;
  failed(): void;
  /** A save refused because another summarizer had written the document. */
  conflict(): void;
}

export function historyMetrics(registry: Registry): HistoryMetrics {
  const ops = metricOnce(
    registry,
    'tandem_history_ops_total',
    (name) =>
      new Counter({
        name,
        help: 'Ops added to document timelines, by where they came from: their event, or the op log for missed events',
        labelNames: ['source'],
        registers: [registry],
      }),
  );
  const saved = metricOnce(
    registry,
    'tandem_history_entries_saved_total',
    (name) => new Counter({ name, help: 'Timeline entries written (new or grown)', registers: [registry] }),
  );
  const failed = metricOnce(
    registry,
    'tandem_history_save_failures_total',
    (name) =>
      new Counter({ name, help: 'Timeline saves that failed (each is retried)', registers: [registry] }),
  );
  const conflicts = metricOnce(
    registry,
    'tandem_history_save_conflicts_total',
    (name) =>
      new Counter({
        name,
        help: 'Timeline saves refused because another summarizer wrote the document meanwhile (it is reloaded)',
        registers: [registry],
      }),
  );
  const lag = metricOnce(
    registry,
    'tandem_history_lag_seconds',
    (name) =>
      new Gauge({
        name,
        help: 'Age of the op the summarizer added last, when it added it (it falls behind when this grows)',
        registers: [registry],
      }),
  );
  return {
    summarized(lagSeconds) {
      ops.inc({ source: 'event' });
      lag.set(lagSeconds);
    },
    filled(n) {
      ops.inc({ source: 'op-log' }, n);
    },
    saved: (n) => saved.inc(n),
    failed: () => failed.inc(),
    conflict: () => conflicts.inc(),
  };
}
