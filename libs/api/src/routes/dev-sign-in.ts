import { signToken } from '@tandem/auth';
import { TandemError } from '@tandem/errors';
import type { ApiDeps } from '../deps.js';
import { errorResponses, SignInBody, SignInResult } from '../schemas.js';
import type { ZodApp } from './app.js';

/** Twelve hours: a working day on a laptop without signing in again. */
const DEFAULT_TTL_SECONDS = 12 * 60 * 60;

/**
 * The user id for a display name: lowercase ASCII letters, digits and dashes, at most 64
 * characters ("Zoë O'Neil" → "zoe-o-neil"). Accents are dropped rather than the letter,
 * so most Latin names keep a readable id. Empty when the name has no letter or digit left.
 */
export function userIdFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 64)
    .replace(/-+$/, '');
}

/**
 * POST /api/v1/dev/sign-in: a token for any name, no password. Registered only when the
 * server is configured with `devSignIn` (embedded mode on a laptop or in a test suite);
 * a deployment with real users verifies tokens from its identity provider instead.
 */
export function devSignInRoute(app: ZodApp, config: NonNullable<ApiDeps['devSignIn']>): void {
  app.post(
    '/dev/sign-in',
    {
      schema: {
        tags: ['development'],
        summary: 'DEVELOPMENT ONLY: get a token for any name',
        description:
          'Present only on an embedded server started with dev sign-in enabled; absent (404) everywhere else. Anyone can sign in as anyone: never enable it where real users are. The user id is the name lowercased to [a-z0-9-] (at most 64 characters); the token is valid for 12 hours.',
        body: SignInBody,
        response: { 200: SignInResult, ...errorResponses(400) },
      },
    },
    async (request) => {
      const { name } = request.body;
      const userId = userIdFromName(name);
      if (userId.length === 0) {
        throw new TandemError('BAD_MESSAGE', 'Bad body: name: must contain a letter or digit (a-z, 0-9)', {
          details: { in: 'body', field: 'name' },
        });
      }
      const token = await signToken(
        config.secret,
        { userId, name },
        {
          ttlSeconds: config.ttlSeconds ?? DEFAULT_TTL_SECONDS,
          ...(config.issuer ? { issuer: config.issuer } : {}),
          ...(config.audience ? { audience: config.audience } : {}),
        },
      );
      return { token, userId, name };
    },
  );
}
