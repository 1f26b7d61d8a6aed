import type { Identity, TokenVerifier } from '@tandem/auth';
import { TandemError } from '@tandem/errors';
import type { FastifyRequest } from 'fastify';

const callers = new WeakMap<FastifyRequest, Identity>();

/**
 * The onRequest hook of every authenticated route: reads `Authorization: Bearer <JWT>`
 * and verifies it. It runs before the body is read, so a request without a valid token
 * costs no parsing and learns nothing about its body's validity. Throws UNAUTHENTICATED
 * or TOKEN_EXPIRED.
 */
export function bearerAuth(verify: TokenVerifier) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer +(\S{1,8192})\s*$/i.exec(header);
    if (!match?.[1]) {
      throw new TandemError('UNAUTHENTICATED', 'Send a token as Authorization: Bearer <token>');
    }
    callers.set(request, await verify(match[1]));
  };
}

/** Who sent an authenticated request. */
export function callerOf(request: FastifyRequest): Identity {
  const identity = callers.get(request);
  // Only reachable if a route were registered outside the authenticated scope.
  if (!identity) throw new TandemError('INTERNAL', 'Route is missing authentication');
  return identity;
}
