import { Counter, Histogram, type Registry } from '@tandem/metrics';

export interface ApiMetrics {
  requests: Counter<'method' | 'route' | 'status'>;
  seconds: Histogram<'method' | 'route'>;
}

/**
 * Labelled by the route's pattern (/api/v1/documents/:id), never the raw URL, so the
 * number of series stays fixed whatever ids clients send; unmatched paths share one label.
 * Taken from the registry when already there, so the API can be mounted again on the same
 * registry (a test, a restart in-process) without prom-client refusing a duplicate.
 */
export function apiMetrics(registry: Registry): ApiMetrics {
  const requests =
    (registry.getSingleMetric('tandem_api_requests_total') as ApiMetrics['requests'] | undefined) ??
    new Counter({
      name: 'tandem_api_requests_total',
      help: 'HTTP requests answered by the REST API, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
  const seconds =
    (registry.getSingleMetric('tandem_api_request_duration_seconds') as ApiMetrics['seconds'] | undefined) ??
    new Histogram({
      name: 'tandem_api_request_duration_seconds',
      help: 'Time from a request arriving to its response being sent, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  return { requests, seconds };
}

/** The label for requests that matched no route. */
export const UNMATCHED_ROUTE = '(unmatched)';
