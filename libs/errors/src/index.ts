/**
 * The one error type of Tandem. Every failure that crosses a boundary (an op refused by
 * the server, a REST call, a client-side validation) is a TandemError with a stable code
 * from ERROR_CODES, so that clients branch on codes, never on message text.
 *
 * Codes are grouped by what the caller should do about them, as in ShareDB:
 * fix the request (the same request will fail again), retry (the same request may
 * succeed later), or give up (the session or document is gone).
 */

/** Errors whose request is wrong: resending it unchanged fails the same way. */
export const FIX_REQUEST_CODES = [
  'BAD_JSON',
  'BAD_MESSAGE',
  'UNKNOWN_MESSAGE_TYPE',
  'MESSAGE_TOO_LARGE',
  'PROTOCOL_VERSION',
  'NOT_JOINED',
  'UNKNOWN_DOC_TYPE',
  'OP_INVALID',
  'OP_TOO_LARGE',
  'OP_BAD_UNICODE',
  'OP_OUT_OF_RANGE',
  'OP_PATH_MISSING',
  'SNAPSHOT_INVALID',
  'VERSION_FUTURE',
  'VERSION_STALE',
  'TOO_MANY_DOCS',
  /** Never sent on the wire: a service refused to start on a bad environment variable. */
  'CONFIG_INVALID',
] as const;

/** Errors of load or availability: the same request may succeed after a wait. */
export const RETRY_CODES = ['RATE_LIMITED', 'TOO_MANY_PENDING', 'UNAVAILABLE', 'TIMEOUT'] as const;

/** Errors of identity, rights or existence: no retry helps without a new token, a grant or a new document. */
export const GIVE_UP_CODES = [
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'FORBIDDEN',
  'DOC_NOT_FOUND',
  'INTERNAL',
] as const;

export const ERROR_CODES = [...FIX_REQUEST_CODES, ...RETRY_CODES, ...GIVE_UP_CODES] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const retryable: ReadonlySet<ErrorCode> = new Set(RETRY_CODES);

/** True for codes after which the same request may succeed later. */
export function isRetryableCode(code: ErrorCode): boolean {
  return retryable.has(code);
}

export interface TandemErrorOptions {
  /** For RETRY codes: how long the caller should wait before trying again. */
  retryAfterMs?: number;
  /** Structured facts about the failure (offending path, limit, actual size). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class TandemError extends Error {
  override readonly name = 'TandemError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: TandemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = isRetryableCode(code);
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
  }
}

/** True when `err` is a TandemError, optionally with the given code. */
export function isTandemError(err: unknown, code?: ErrorCode): err is TandemError {
  return err instanceof TandemError && (code === undefined || err.code === code);
}
