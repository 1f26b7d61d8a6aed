import { errors, type estypes } from '@elastic/elasticsearch';
import { TandemError } from '@tandem/errors';

const RETRY_AFTER_MS = 1000;

/** Where a failure happened: the index, and what the adapter was doing ('index a document'). */
export interface FailedAction {
  index: string;
  action: string;
}

/**
 * A failed request as a TandemError. The cluster unreachable, timing out, overloaded (429)
 * or failing (5xx) is UNAVAILABLE, retryable; a request it refuses is INTERNAL (a bug, or an
 * index changed behind Tandem's back). Any other error is returned as it is.
 */
export function fromClientError(err: unknown, where: FailedAction): unknown {
  if (!(err instanceof errors.ElasticsearchClientError)) return err;
  const status = err instanceof errors.ResponseError ? err.statusCode : undefined;
  const unreachable =
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError;
  return failure(where, { status, type: errorType(err), reason: err.message, unreachable, cause: err });
}

/**
 * The failure of one document of a _bulk request, which Elasticsearch reports in the item
 * with an HTTP status of its own (429 when the shard's write queue is full), mapped as
 * fromClientError maps the failure of a whole request.
 */
export function fromBulkItem(item: estypes.BulkResponseItem, where: FailedAction): TandemError {
  return failure(where, {
    status: item.status,
    type: item.error?.type,
    reason: `${item.error?.type ?? 'error'}: ${item.error?.reason ?? `status ${item.status}`}`,
    unreachable: false,
  });
}

/** The error type Elasticsearch answered with ('resource_already_exists_exception'), if any. */
export function errorType(err: unknown): string | undefined {
  if (!(err instanceof errors.ResponseError)) return undefined;
  const body = err.body as { error?: { type?: unknown } } | undefined;
  return typeof body?.error?.type === 'string' ? body.error.type : undefined;
}

function failure(
  where: FailedAction,
  what: {
    status: number | undefined;
    type: string | undefined;
    reason: string;
    unreachable: boolean;
    cause?: unknown;
  },
): TandemError {
  const { status } = what;
  const details = { index: where.index, action: where.action, status, type: what.type };
  if (what.unreachable || (status !== undefined && (status === 429 || status >= 500))) {
    return new TandemError('UNAVAILABLE', `Elasticsearch is unavailable (${where.action}): ${what.reason}`, {
      retryAfterMs: RETRY_AFTER_MS,
      details,
      cause: what.cause,
    });
  }
  return new TandemError('INTERNAL', `Elasticsearch refused to ${where.action}: ${what.reason}`, {
    details,
    cause: what.cause,
  });
}
