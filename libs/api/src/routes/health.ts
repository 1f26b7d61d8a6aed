import type { LogLevel } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from '../deps.js';
import type { ZodApp } from './app.js';

const tags = ['operations'];
const Status = z.object({ status: z.enum(['ok', 'ready', 'not ready']) });

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * Probes come every few seconds from the orchestrator and Prometheus: their routes log at
 * warn at most, so each probe does not write two info lines. Never louder than the host's
 * own level (a route's logLevel replaces it, it does not cap it).
 */
function probeLogLevel(hostLevel: string): LogLevel {
  const host = LEVELS.find((level) => level === hostLevel) ?? 'info';
  return LEVELS.indexOf(host) < LEVELS.indexOf('warn') ? 'warn' : host;
}

/** Probes for the orchestrator and the Prometheus endpoint; none needs a token. */
export function healthRoutes(app: ZodApp, deps: ApiDeps): void {
  const logLevel = probeLogLevel(app.log.level);
  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: 'Liveness: the process is up and answering',
        response: { 200: Status },
      },
      logLevel,
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
      logLevel,
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
      logLevel,
    },
    async (_request, reply) => {
      const text = await deps.registry.metrics();
      return reply.type(deps.registry.contentType).send(text);
    },
  );
}
