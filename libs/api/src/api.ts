import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Logger } from '@tandem/logging';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyTypeProviderDefault,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { bearerAuth } from './auth.js';
import { type ApiDeps, DEFAULT_BODY_LIMIT } from './deps.js';
import { routeNotFound, sendError } from './errors.js';
import { apiMetrics, UNMATCHED_ROUTE } from './metrics.js';
import { devSignInRoute } from './routes/dev-sign-in.js';
import { documentRoutes } from './routes/documents.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { permissionRoutes } from './routes/permissions.js';
import { searchRoutes } from './routes/search.js';

/** Where the versioned REST routes live. */
export const API_PREFIX = '/api/v1';

function description(deps: ApiDeps): string {
  const lines = [
    'Documents, sharing, history, restore and search for Tandem. Live editing happens over the WebSocket protocol (docs/protocol.md); this API is for applications.',
    '',
    'Every `/api/v1` route needs `Authorization: Bearer <JWT>`. Errors are `{"error": {"code", "message", "retryable", "details"?}}` with a stable `code`; `retryable` errors come with `Retry-After`.',
  ];
  if (deps.devSignIn) {
    lines.push(
      '',
      '**Development server**: `POST /api/v1/dev/sign-in` is enabled and gives anyone a token for any name. It does not exist on servers configured for real users.',
    );
  }
  return lines.join('\n');
}

/**
 * The REST API as an encapsulated fastify plugin: its zod compilers, error handler, hooks
 * and OpenAPI document apply to its own routes only, so the host instance can serve static
 * files and share its HTTP server with the WebSocket gateway without either seeing the
 * other's rules.
 */
const apiPlugin: FastifyPluginAsync<{ deps: ApiDeps }> = async (scope, { deps }) => {
  const app = scope.withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(sendError);

  const bodyLimit = deps.bodyLimit ?? DEFAULT_BODY_LIMIT;
  app.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimit;
  });

  const metrics = apiMetrics(deps.registry);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.seconds.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Tandem REST API', version: '1', description: description(deps) },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      tags: [
        { name: 'documents' },
        { name: 'history', description: 'Ops, past versions and restore' },
        { name: 'sharing', description: 'Roles: owner, editor, commenter, viewer' },
        { name: 'search' },
        { name: 'operations', description: 'Probes and metrics' },
        ...(deps.devSignIn ? [{ name: 'development', description: 'Embedded mode only' }] : []),
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  healthRoutes(app, deps);

  await app.register(
    async (v1Scope) => {
      const v1 = v1Scope.withTypeProvider<ZodTypeProvider>();
      if (deps.devSignIn) devSignInRoute(v1, deps.devSignIn);
      await v1.register(async (authScope) => {
        const authed = authScope.withTypeProvider<ZodTypeProvider>();
        authed.addHook('onRequest', bearerAuth(deps.verify));
        documentRoutes(authed, deps);
        historyRoutes(authed, deps);
        permissionRoutes(authed, deps);
        searchRoutes(authed, deps);
      });
    },
    { prefix: API_PREFIX },
  );

  // Any other /api path answers in the API's error shape, whatever the host's own 404 is
  // (a static-file server's catch-all would otherwise answer with index.html).
  app.all('/api/*', { schema: { hide: true } }, async (request) => {
    throw routeNotFound(request);
  });
};

/**
 * Mounts the REST API on an existing fastify instance: routes under /api/v1, the OpenAPI
 * page at /api/docs and its JSON at /api/openapi.json, and /healthz, /readyz, /metrics.
 * The host keeps its own logger, 404 handler and other routes (static files, the
 * WebSocket upgrade on `app.server`).
 */
export async function registerApi<L extends FastifyBaseLogger>(
  app: FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, L>,
  deps: ApiDeps,
): Promise<void> {
  // The plugin logs only through FastifyBaseLogger's methods, so it runs under any logger
  // the host chose (pino's Logger has more); fastify's types cannot see that by themselves.
  const plugin = apiPlugin as unknown as FastifyPluginAsync<
    { deps: ApiDeps },
    RawServerDefault,
    FastifyTypeProviderDefault,
    L
  >;
  await app.register(plugin, { deps });
}

/**
 * A fastify instance serving only the API, logging through `log` (the service's pino
 * logger), with the API's error shape for every unknown path. Call `listen()` on it, or
 * `inject()` in tests.
 */
export async function buildApi(deps: ApiDeps & { log: Logger }): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? DEFAULT_BODY_LIMIT,
  });
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) => sendError(routeNotFound(request), request, reply));
  await registerApi(app, deps);
  return app;
}
