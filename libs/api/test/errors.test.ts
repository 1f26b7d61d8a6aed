import { InProcessFanOut } from '@tandem/adapters-memory';
import { createTokenVerifier, signToken } from '@tandem/auth';
import type { DocumentMeta, MetadataStore, SearchIndex } from '@tandem/core';
import { ERROR_CODES, TandemError } from '@tandem/errors';
import { silentLogger } from '@tandem/logging';
import { Registry } from '@tandem/metrics';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { type ApiEngine, buildApi, statusOf } from '../src/index.js';
import { SECRET, type TestApi } from './harness.js';
import { useApi } from './setup-api.js';

let api: TestApi;
useApi(
  (a) => {
    api = a;
  },
  { bodyLimit: 4096 },
);

describe('authentication', () => {
  it('refuses a request without a token with 401 UNAUTHENTICATED and a WWW-Authenticate challenge', async () => {
    const res = await api.call('GET', '/api/v1/documents');
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({
      error: { code: 'UNAUTHENTICATED', message: expect.any(String), retryable: false },
    });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tandem"');
  });

  it('refuses another scheme, a malformed token and a token signed with another secret', async () => {
    const forged = await signToken('another-secret-that-is-also-32-bytes-long', {
      userId: 'ann',
      name: 'Ann',
    });
    for (const authorization of ['Basic YW5uOnB3', 'Bearer', 'Bearer not.a.jwt', `Bearer ${forged}`]) {
      const res = await api.call('GET', '/api/v1/documents', { headers: { authorization } });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHENTICATED');
    }
  });

  it('refuses an expired token with 401 TOKEN_EXPIRED', async () => {
    const expired = await signToken(SECRET, { userId: 'ann', name: 'Ann' }, { ttlSeconds: -60 });
    const res = await api.call('GET', '/api/v1/documents', { token: expired });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('TOKEN_EXPIRED');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="tandem", error="invalid_token"');
  });

  it('checks the token before the body: a bad body without a token is a 401', async () => {
    const res = await api.call('POST', '/api/v1/documents', { body: { title: '' } });
    expect(res.statusCode).toBe(401);
  });

  it('protects every /api/v1 route', async () => {
    const id = 'some-doc';
    const routes: [string, string][] = [
      ['POST', '/api/v1/documents'],
      ['GET', '/api/v1/documents'],
      ['GET', `/api/v1/documents/${id}`],
      ['PATCH', `/api/v1/documents/${id}`],
      ['DELETE', `/api/v1/documents/${id}`],
      ['GET', `/api/v1/documents/${id}/ops`],
      ['GET', `/api/v1/documents/${id}/versions/0`],
      ['POST', `/api/v1/documents/${id}/restore`],
      ['GET', `/api/v1/documents/${id}/permissions`],
      ['PUT', `/api/v1/documents/${id}/permissions/bob`],
      ['DELETE', `/api/v1/documents/${id}/permissions/bob`],
      ['GET', '/api/v1/search?q=x'],
    ];
    for (const [method, url] of routes) {
      const res = await api.call(method as 'GET', url);
      expect([method, url, res.statusCode]).toEqual([method, url, 401]);
    }
  });
});

describe('authorization', () => {
  it('answers 404 DOC_NOT_FOUND for a document that does not exist, 403 FORBIDDEN for one the caller has no role on', async () => {
    const missing = await api.call('GET', '/api/v1/documents/no-such-doc', { as: 'ann' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'DOC_NOT_FOUND', retryable: false });

    const id = await api.createDoc('ann');
    for (const url of [
      `/api/v1/documents/${id}`,
      `/api/v1/documents/${id}/ops`,
      `/api/v1/documents/${id}/versions/0`,
    ]) {
      const res = await api.call('GET', url, { as: 'eve' });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('FORBIDDEN');
    }
  });

  it('lets a viewer read but not write', async () => {
    const id = await api.createDoc('ann');
    await api.call('PUT', `/api/v1/documents/${id}/permissions/vic`, { as: 'ann', body: { role: 'viewer' } });
    expect((await api.call('GET', `/api/v1/documents/${id}`, { as: 'vic' })).statusCode).toBe(200);
    const writes: [string, string, unknown][] = [
      ['PATCH', `/api/v1/documents/${id}`, { title: 'x' }],
      ['DELETE', `/api/v1/documents/${id}`, undefined],
      ['POST', `/api/v1/documents/${id}/restore`, { targetVersion: 0 }],
      ['PUT', `/api/v1/documents/${id}/permissions/eve`, { role: 'viewer' }],
    ];
    for (const [method, url, body] of writes) {
      const res = await api.call(method as 'POST', url, { as: 'vic', body });
      expect([method, url, res.statusCode, res.json().error.code]).toEqual([method, url, 403, 'FORBIDDEN']);
    }
  });
});

describe('bad requests', () => {
  it('refuses a malformed document id in the path naming the field', async () => {
    const res = await api.call('GET', '/api/v1/documents/bad%20id!', { as: 'ann' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'BAD_MESSAGE', details: { in: 'params', field: 'id' } });
  });

  it('refuses a body that is not JSON with BAD_JSON', async () => {
    const res = await api.call('POST', '/api/v1/documents', {
      as: 'ann',
      body: '{"title": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_JSON');
  });

  it('refuses a body over the limit with 413 MESSAGE_TOO_LARGE', async () => {
    const res = await api.call('POST', '/api/v1/documents', {
      as: 'ann',
      body: { title: 'Big', type: 'text', content: 'x'.repeat(5000) },
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('MESSAGE_TOO_LARGE');
  });

  it('refuses a body that is not JSON at all with 415', async () => {
    const res = await api.call('POST', '/api/v1/documents', {
      as: 'ann',
      body: 'title=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe('BAD_MESSAGE');
  });

  it('answers unknown routes with 404 and a code, inside and outside /api', async () => {
    for (const url of ['/api/v1/nothing-here', '/api/v2/documents', '/elsewhere']) {
      const res = await api.call('GET', url, { as: 'ann' });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'BAD_MESSAGE', details: { method: 'GET' } });
    }
  });
});

/** Stores that fail in a chosen way, for the error paths real stores do not take on demand. */
async function failingApi(failure: Error): Promise<FastifyInstance> {
  const doc: DocumentMeta = {
    id: 'd1',
    title: 'D',
    type: 'text',
    ownerId: 'ann',
    createdAt: new Date(0),
    updatedAt: new Date(0),
  };
  const metadata = {
    get: async () => doc,
    roleOf: async () => 'owner' as const,
  } as Partial<MetadataStore> as MetadataStore;
  const engine = {
    open: async () => {
      throw failure;
    },
    restore: async () => {
      throw failure;
    },
  } as Partial<ApiEngine> as ApiEngine;
  const search = { search: async () => [] } satisfies Pick<SearchIndex, 'search'>;
  return buildApi({
    engine,
    metadata,
    search,
    history: { list: async () => ({ items: [], next: null }) },
    fanOut: new InProcessFanOut(),
    registry: new Registry(),
    verify: createTokenVerifier({ secret: SECRET }),
    log: silentLogger(),
  });
}

describe('error mapping', () => {
  it('gives every error code an HTTP status', () => {
    const statuses = Object.fromEntries(ERROR_CODES.map((code) => [code, statusOf(code)]));
    expect(statuses).toMatchObject({
      BAD_MESSAGE: 400,
      SNAPSHOT_INVALID: 400,
      OP_INVALID: 400,
      MESSAGE_TOO_LARGE: 413,
      VERSION_FUTURE: 409,
      VERSION_STALE: 409,
      UNAUTHENTICATED: 401,
      TOKEN_EXPIRED: 401,
      FORBIDDEN: 403,
      DOC_NOT_FOUND: 404,
      RATE_LIMITED: 429,
      UNAVAILABLE: 503,
      INTERNAL: 500,
    });
    for (const status of Object.values(statuses)) expect(status).toBeGreaterThanOrEqual(400);
  });

  it('answers a store outage with 503 UNAVAILABLE, retryable, with Retry-After in seconds', async () => {
    const app = await failingApi(new TandemError('UNAVAILABLE', 'op log down', { retryAfterMs: 2500 }));
    const token = await signToken(SECRET, { userId: 'ann', name: 'Ann' });
    const res = await app.inject({
      url: '/api/v1/documents/d1',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('3');
    expect(res.json().error).toEqual({ code: 'UNAVAILABLE', message: 'op log down', retryable: true });
    await app.close();
  });

  it('answers RATE_LIMITED with 429 and Retry-After', async () => {
    const app = await failingApi(new TandemError('RATE_LIMITED', 'slow down'));
    const token = await signToken(SECRET, { userId: 'ann', name: 'Ann' });
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/documents/d1/restore',
      headers: { authorization: `Bearer ${token}` },
      payload: { targetVersion: 0 },
    });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().error).toMatchObject({ code: 'RATE_LIMITED', retryable: true });
    await app.close();
  });

  it('answers an unexpected fault with 500 INTERNAL without its message', async () => {
    const app = await failingApi(new Error('connect ECONNREFUSED postgres://admin:hunter2@db'));
    const token = await signToken(SECRET, { userId: 'ann', name: 'Ann' });
    const res = await app.inject({
      url: '/api/v1/documents/d1',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(500);
    expect(res.json().error).toEqual({
      code: 'INTERNAL',
      message: 'Internal server error',
      retryable: false,
    });
    expect(res.body).not.toContain('hunter2');
    await app.close();
  });
});
