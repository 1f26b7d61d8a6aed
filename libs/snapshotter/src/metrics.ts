import { Counter, Gauge, Histogram, metricOnce, type Registry } from '@tandem/metrics';

/** Why a snapshot was written. */
export type SnapshotReason = 'ops' | 'activity' | 'catch-up';

export interface SnapshotterMetrics {
  written(reason: SnapshotReason, seconds: number, replayedOps: number): void;
  failed(): void;
  /** How old the newest op was when its event was handled. */
  eventLag(seconds: number): void;
  pendingDocuments(count: number): void;
}

/**
 * The snapshotter's instruments. Found again in the registry when they are there already, so
 * that a snapshotter restarted in the same process (or a test) reports into the same series.
 */
export function snapshotterMetrics(registry: Registry): SnapshotterMetrics {
  const written = metricOnce(
    registry,
    'tandem_snapshots_written_total',
    (name) =>
      new Counter({
        name,
        help: 'Snapshots stored, by why: every N ops, after a while of activity, or catching up after downtime',
        labelNames: ['reason'],
        registers: [registry],
      }),
  );
  const failed = metricOnce(
    registry,
    'tandem_snapshot_failures_total',
    (name) =>
      new Counter({
        name,
        help: 'Snapshot writes that failed (each is retried)',
        registers: [registry],
      }),
  );
  const duration = metricOnce(
    registry,
    'tandem_snapshot_write_seconds',
    (name) =>
      new Histogram({
        name,
        help: 'Time to compute and store one snapshot',
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
  );
  const replayed = metricOnce(
    registry,
    'tandem_snapshot_replayed_ops',
    (name) =>
      new Histogram({
        name,
        help: 'Ops applied to the previous snapshot to compute one (about N when the snapshots keep up)',
        buckets: [1, 10, 50, 100, 200, 500, 1000, 10_000, 100_000],
        registers: [registry],
      }),
  );
  const lag = metricOnce(
    registry,
    'tandem_snapshotter_lag_seconds',
    (name) =>
      new Gauge({
        name,
        help: 'Age of the op whose event the snapshotter handled last, when it handled it (it falls behind when this grows)',
        registers: [registry],
      }),
  );
  const pending = metricOnce(
    registry,
    'tandem_snapshotter_pending_documents',
    (name) =>
      new Gauge({
        name,
        help: 'Documents with ops in no snapshot yet, waiting for their N-th op or their time',
        registers: [registry],
      }),
  );
  return {
    written(reason, seconds, replayedOps) {
      written.inc({ reason });
      duration.observe(seconds);
      replayed.observe(replayedOps);
    },
    failed: () => failed.inc(),
    eventLag: (seconds) => lag.set(seconds),
    pendingDocuments: (count) => pending.set(count),
  };
}
