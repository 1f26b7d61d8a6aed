import { callerOf } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { errorResponses, SearchQuery, SearchResult } from '../schemas.js';
import { BEARER, type ZodApp } from './app.js';

/** Full-text search over titles and contents. */
export function searchRoutes(app: ZodApp, deps: ApiDeps): void {
  app.get(
    '/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Search the documents the caller may read',
        description:
          'The index filters by the caller’s current roles, so a revoked document drops out at once. Contents are indexed shortly after each change (about a second), not synchronously.',
        security: BEARER,
        querystring: SearchQuery,
        response: { 200: SearchResult, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const { userId } = callerOf(request);
      const { q, limit } = request.query;
      return { hits: await deps.search.search(q, { userId, limit }) };
    },
  );
}
