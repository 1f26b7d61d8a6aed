import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import type { ZodApp } from './app.js';

const tags = ['operations'];
const Status = z.object({ status: z.enum(['ok', 'ready', 'not ready']) });

/** Probes for the orchestrator and the Prometheus endpoint; none needs a token. */
export function healthRoutes(app: ZodApp, deps: ApiDeps): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: 'Liveness: the process is up and answering',
        response: { 200: Status },
      },
      logLevel: 'warn',
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: 'Readiness: 200 when the service can take traffic, 503 when not',
        response: { 200: Status, 503: Status },
      },
      logLevel: 'warn',
    },
    async (request, reply) => {
      let ready = false;
      try {
        ready = deps.ready ? await deps.ready() : true;
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
      }
      return ready ? { status: 'ready' as const } : reply.status(503).send({ status: 'not ready' });
    },
  );

  app.get(
    '/metrics',
    {
      schema: { tags, summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] },
      logLevel: 'warn',
    },
    async (_request, reply) => {
      const text = await deps.registry.metrics();
      return reply.type(deps.registry.contentType).send(text);
    },
  );
}
