import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry };

/** A registry with the process metrics (CPU, memory, event-loop lag) every service exposes on /metrics. */
export function createRegistry(labels: Record<string, string> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(labels);
  collectDefaultMetrics({ register: registry });
  return registry;
}
export { engineMetrics } from './engine.js';

/**
 * The registry's metric of that name, or a new one from `create`: a component started again
 * in the same process (or a test) reports into the same series instead of failing to register.
 */
export function metricOnce<M>(registry: Registry, name: string, create: (name: string) => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create(name);
}
