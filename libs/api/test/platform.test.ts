import { InProcessFanOut } from '@tandem/adapters-memory';
import { createTokenVerifier } from '@tandem/auth';
import type { MetadataStore } from '@tandem/core';
import { Registry } from '@tandem/metrics';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { type ApiEngine, registerApi, userIdFromName } from '../src/index.js';
import { SECRET, type TestApi } from './harness.js';
import { useApi } from './setup-api.js';

describe('without dev sign-in (any deployment with real users)', () => {
  let api: TestApi;
  useApi((a) => {
    api = a;
  });

  it('serves the OpenAPI document listing every route, with bearer auth', async () => {
    const res = await api.call('GET', '/api/openapi.json');
    expect(res.statusCode).toBe(200);
    const spec = res.json();
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const routes = Object.entries(spec.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'POST /api/v1/documents',
        'GET /api/v1/documents',
        'GET /api/v1/documents/{id}',
        'PATCH /api/v1/documents/{id}',
        'DELETE /api/v1/documents/{id}',
        'GET /api/v1/documents/{id}/ops',
        'GET /api/v1/documents/{id}/history',
        'GET /api/v1/documents/{id}/versions/{version}',
        'POST /api/v1/documents/{id}/restore',
        'GET /api/v1/documents/{id}/permissions',
        'PUT /api/v1/documents/{id}/permissions/{userId}',
        'DELETE /api/v1/documents/{id}/permissions/{userId}',
        'GET /api/v1/search',
      ].sort(),
    );
    const create = spec.paths['/api/v1/documents'].post;
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    expect(create.requestBody.content['application/json'].schema.properties.type.enum).toEqual([
      'text',
      'rich-text',
      'json1',
    ]);
    expect(create.responses['401'].content['application/json'].schema.$ref).toMatch(/TandemError$/);
  });

  it('serves the OpenAPI page at /api/docs', async () => {
    const res = await api.call('GET', '/api/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('Swagger UI');
  });

  it('has no dev sign-in route, and says nothing of it in the OpenAPI document', async () => {
    const res = await api.call('POST', '/api/v1/dev/sign-in', { body: { name: 'Ann' } });
    expect(res.statusCode).toBe(404);
    const spec = (await api.call('GET', '/api/openapi.json')).json();
    expect(JSON.stringify(spec)).not.toMatch(/sign-in/i);
  });

  it('answers /healthz and /readyz without a token', async () => {
    expect((await api.call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await api.call('GET', '/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('serves Prometheus text on /metrics, counting requests by route pattern and status', async () => {
    await api.call('GET', '/api/v1/documents/some-id', { as: 'ann' });
    await api.call('GET', '/api/v1/documents');
    const res = await api.call('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE tandem_api_requests_total counter');
    expect(res.body).toContain(
      'tandem_api_requests_total{method="GET",route="/api/v1/documents/:id",status="404"} 1',
    );
    expect(res.body).toContain(
      'tandem_api_requests_total{method="GET",route="/api/v1/documents",status="401"} 1',
    );
    expect(res.body).toContain('# TYPE tandem_api_request_duration_seconds histogram');
  });
});

describe('readiness', () => {
  let state: 'ready' | 'not ready' | 'failing' = 'ready';
  let api: TestApi;
  useApi(
    (a) => {
      api = a;
    },
    {
      ready: async () => {
        if (state === 'failing') throw new Error('database unreachable');
        return state === 'ready';
      },
    },
  );

  it('answers 503 while the service is not ready or its check fails, 200 once it is', async () => {
    for (const s of ['not ready', 'failing'] as const) {
      state = s;
      const res = await api.call('GET', '/readyz');
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not ready' });
    }
    state = 'ready';
    expect((await api.call('GET', '/readyz')).statusCode).toBe(200);
  });
});

describe('with dev sign-in (embedded mode)', () => {
  let api: TestApi;
  useApi(
    (a) => {
      api = a;
    },
    { devSignIn: { secret: SECRET } },
  );

  it('signs anyone in by name with a token the API accepts', async () => {
    const res = await api.call('POST', '/api/v1/dev/sign-in', { body: { name: 'Ann Lee' } });
    expect(res.statusCode).toBe(200);
    const { token, userId, name } = res.json();
    expect({ userId, name }).toEqual({ userId: 'ann-lee', name: 'Ann Lee' });
    const created = await api.call('POST', '/api/v1/documents', {
      token,
      body: { title: 'Mine', type: 'text' },
    });
    expect(created.json().ownerId).toBe('ann-lee');
  });

  it('issues a token valid for 12 hours', async () => {
    const { token } = (await api.call('POST', '/api/v1/dev/sign-in', { body: { name: 'Ann' } })).json();
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(payload.exp - payload.iat).toBe(12 * 60 * 60);
  });

  it('refuses a name that yields no user id, and an empty name, naming the field', async () => {
    for (const name of ['!!!', '', '   ']) {
      const res = await api.call('POST', '/api/v1/dev/sign-in', { body: { name } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'BAD_MESSAGE', details: { field: 'name' } });
    }
  });

  it('is marked development-only in the OpenAPI document', async () => {
    const spec = (await api.call('GET', '/api/openapi.json')).json();
    const route = spec.paths['/api/v1/dev/sign-in'].post;
    expect(route.summary).toMatch(/DEVELOPMENT ONLY/);
    expect(route.security).toBeUndefined();
    expect(spec.info.description).toMatch(/Development server/);
  });
});

describe('userIdFromName', () => {
  it('lowercases to a-z 0-9 and dashes, drops accents, trims dashes, and stops at 64 characters', () => {
    expect(userIdFromName('Ann')).toBe('ann');
    expect(userIdFromName("  Zoë O'Neil  ")).toBe('zoe-o-neil');
    expect(userIdFromName('R2-D2 & C-3PO')).toBe('r2-d2-c-3po');
    expect(userIdFromName('名前')).toBe('');
    expect(userIdFromName(`${'a'.repeat(63)} b`)).toBe('a'.repeat(63));
    expect(userIdFromName('x'.repeat(100))).toHaveLength(64);
  });
});

describe('registerApi on a host instance', () => {
  it('shares the instance with other routes and keeps the host’s own 404', async () => {
    const host = Fastify();
    host.get('/', async (_request, reply) => reply.type('text/html').send('<h1>editor</h1>'));
    host.setNotFoundHandler((_request, reply) => reply.status(404).type('text/html').send('host 404'));
    await registerApi(host, {
      engine: {} as ApiEngine,
      metadata: {} as MetadataStore,
      search: { search: async () => [] },
      history: { list: async () => ({ items: [], next: null }) },
      fanOut: new InProcessFanOut(),
      registry: new Registry(),
      verify: createTokenVerifier({ secret: SECRET }),
    });
    expect((await host.inject({ url: '/' })).body).toBe('<h1>editor</h1>');
    expect((await host.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await host.inject({ url: '/elsewhere' })).body).toBe('host 404');
    const apiMiss = await host.inject({ url: '/api/v1/nope' });
    expect(apiMiss.statusCode).toBe(404);
    expect(apiMiss.json().error.code).toBe('BAD_MESSAGE');
    expect((await host.inject({ url: '/api/v1/documents' })).statusCode).toBe(401);
    await host.close();
  });
});
