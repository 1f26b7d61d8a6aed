import { type ErrorCode, isTandemError, TandemError } from '@tandem/errors';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/**
 * The HTTP status of each error code. A Record rather than a switch, so that a code added
 * to libs/errors does not compile until it has a status here.
 *
 * Fix-request codes are 400 except where HTTP has a more precise status: a version from
 * the future or one too old to serve is a conflict with the document's state (409), an
 * oversized body is 413. CONFIG_INVALID never reaches a client unless the server is
 * misconfigured, which is the server's fault (500).
 */
const STATUS: Record<ErrorCode, number> = {
  BAD_JSON: 400,
  BAD_MESSAGE: 400,
  UNKNOWN_MESSAGE_TYPE: 400,
  MESSAGE_TOO_LARGE: 413,
  PROTOCOL_VERSION: 400,
  NOT_JOINED: 400,
  UNKNOWN_DOC_TYPE: 400,
  OP_INVALID: 400,
  OP_TOO_LARGE: 400,
  OP_BAD_UNICODE: 400,
  OP_OUT_OF_RANGE: 400,
  OP_PATH_MISSING: 400,
  SNAPSHOT_INVALID: 400,
  VERSION_FUTURE: 409,
  VERSION_STALE: 409,
  TOO_MANY_DOCS: 400,
  CONFIG_INVALID: 500,
  RATE_LIMITED: 429,
  TOO_MANY_PENDING: 429,
  UNAVAILABLE: 503,
  TIMEOUT: 503,
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  FORBIDDEN: 403,
  DOC_NOT_FOUND: 404,
  INTERNAL: 500,
};

/** The HTTP status for a TandemError code. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** What every error response carries, under `error`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; retryable: boolean; details?: Record<string, unknown> };
}

/**
 * A TandemError with an HTTP status other than its code's. Used once: an unknown route is
 * a request to fix (BAD_MESSAGE) but HTTP says 404, and libs/errors has no code for "no
 * such route" (DOC_NOT_FOUND would send a client looking for a deleted document).
 */
export class HttpTandemError extends TandemError {
  constructor(
    readonly status: number,
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, details ? { details } : {});
  }
}

/** The error for a path the API does not have. */
export function routeNotFound(request: FastifyRequest): HttpTandemError {
  const path = request.url.split('?')[0] ?? request.url;
  return new HttpTandemError(404, 'BAD_MESSAGE', `No route ${request.method} ${path}`, {
    method: request.method,
    path,
  });
}

/**
 * Turns anything thrown by a route, a hook, fastify's body parser or the zod validator
 * into one TandemError, so the API has one error shape: TandemErrors pass through, a
 * failed request schema becomes BAD_MESSAGE naming its first field, fastify's own client
 * errors get their nearest code, and everything else is INTERNAL (its message is logged,
 * never sent: it may hold a driver's connection string or a stack).
 */
export function toTandemError(err: unknown): TandemError {
  if (isTandemError(err)) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as { validationContext?: string }).validationContext ?? 'request';
    const issues = err.validation.map((v) => ({ field: fieldOf(v.instancePath), message: v.message ?? '' }));
    const first = issues[0] as { field: string; message: string };
    const label = first.field ? `${first.field}: ` : '';
    return new TandemError('BAD_MESSAGE', `Bad ${where}: ${label}${first.message}`, {
      details: { in: where, field: first.field, issues },
    });
  }
  const fastifyError = err as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new TandemError('MESSAGE_TOO_LARGE', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new TandemError('BAD_JSON', 'The request body is not valid JSON');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpTandemError(415, 'BAD_MESSAGE', 'Send request bodies as application/json');
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Fastify's other client errors (an empty JSON body, a bad content length): the
    // request is wrong, and fastify's message says how.
    return new HttpTandemError(status, 'BAD_MESSAGE', fastifyError.message ?? 'Bad request');
  }
  return new TandemError('INTERNAL', 'Internal server error', { cause: err });
}

/** `/title` → `title`, `/items/0/id` → `items.0.id`, `/` → ``. */
function fieldOf(instancePath: string): string {
  return instancePath.split('/').filter(Boolean).join('.');
}

/** The error handler of the API's routes: one status per code, one body shape, Retry-After when retrying helps. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toTandemError(err);
  const status = error instanceof HttpTandemError ? error.status : statusOf(error.code);
  if (status >= 500) request.log.error({ err }, 'request failed');
  else request.log.debug({ code: error.code, message: error.message }, 'request refused');
  if (error.retryable) {
    reply.header('retry-after', String(Math.max(1, Math.ceil((error.retryAfterMs ?? 1000) / 1000))));
  }
  if (error.code === 'UNAUTHENTICATED' || error.code === 'TOKEN_EXPIRED') {
    // RFC 6750 §3: a 401 names the scheme, and says whether the token itself was the problem.
    const invalid = request.headers.authorization ? ', error="invalid_token"' : '';
    reply.header('www-authenticate', `Bearer realm="tandem"${invalid}`);
  }
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.details ? { details: error.details } : {}),
    },
  };
  return reply.status(status).send(body);
}
