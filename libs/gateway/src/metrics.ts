import { Counter, Gauge, Histogram, type Registry } from '@tandem/metrics';

export interface GatewayMetrics {
  connections: Gauge;
  messages: Counter<'type'>;
  errors: Counter<'code'>;
  opSeconds: Histogram;
}

export function gatewayMetrics(registry: Registry): GatewayMetrics {
  return {
    connections: new Gauge({
      name: 'tandem_gateway_connections',
      help: 'Open WebSocket connections',
      registers: [registry],
    }),
    messages: new Counter({
      name: 'tandem_gateway_messages_total',
      help: 'Messages received from clients, by type',
      labelNames: ['type'],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'tandem_gateway_errors_total',
      help: 'Error messages sent to clients, by code',
      labelNames: ['code'],
      registers: [registry],
    }),
    opSeconds: new Histogram({
      name: 'tandem_gateway_op_commit_seconds',
      help: 'From an op reaching the gateway to its commit being durable',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}
