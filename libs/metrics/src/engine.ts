import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Prometheus instruments for the commit pipeline, shaped as the core's EngineObserver
 * (the core reports through that interface and depends on no metrics library).
 */
export function engineMetrics(registry: Registry) {
  const committed = new Counter({
    name: 'tandem_ops_committed_total',
    help: 'Ops committed durably',
    registers: [registry],
  });
  const batch = new Histogram({
    name: 'tandem_commit_batch_seconds',
    help: 'From the first op of a batch arriving to the batch being durable',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'tandem_commit_batch_ops',
    help: 'Ops per committed batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'tandem_ops_refused_total',
    help: 'Ops refused, by error code',
    labelNames: ['code'],
    registers: [registry],
  });
  const backlog = new Gauge({
    name: 'tandem_event_backlog',
    help: 'Events waiting to be published (the broker is slow or down when this grows)',
    registers: [registry],
  });
  const live = new Gauge({
    name: 'tandem_live_documents',
    help: 'Documents loaded in memory',
    registers: [registry],
  });
  return {
    batchCommitted(ops: number, seconds: number) {
      committed.inc(ops);
      batch.observe(seconds);
      batchSize.observe(ops);
    },
    opRefused(code: string) {
      refused.inc({ code });
    },
    eventBacklog(size: number) {
      backlog.set(size);
    },
    liveDocs(count: number) {
      live.set(count);
    },
  };
}
