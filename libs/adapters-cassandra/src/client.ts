import { TandemError } from '@tandem/errors';
import { Client, errors, policies, types } from 'cassandra-driver';

/** Consistency levels by their cassandra-driver names, for configuration. */
const CONSISTENCIES = {
  one: types.consistencies.one,
  localOne: types.consistencies.localOne,
  quorum: types.consistencies.quorum,
  localQuorum: types.consistencies.localQuorum,
  eachQuorum: types.consistencies.eachQuorum,
  all: types.consistencies.all,
} as const;

export type ConsistencyName = keyof typeof CONSISTENCIES;

export interface CassandraOptions {
  /** `host` or `host:port` of some nodes; the driver discovers the others. */
  contactPoints: string[];
  /** The data center this process runs in: LOCAL_* consistency and routing stay inside it. */
  localDataCenter: string;
  keyspace: string;
  /**
   * Of every read and write. LOCAL_QUORUM (the default) survives a node down in a replica set
   * of three, and with the same level for reads and writes a read sees every acknowledged append.
   */
  consistency?: ConsistencyName;
  /**
   * How long one request may wait for a node before it fails (the driver's readTimeout). An
   * append is awaited before an op is acknowledged, so this bounds how long an editor waits
   * for a refusal when Cassandra hangs; Cassandra's own write timeout is 2 s.
   */
  requestTimeoutMs?: number;
  /** How long opening a connection to a node may take. */
  connectTimeoutMs?: number;
}

const KEYSPACE_NAME = /^[a-zA-Z][a-zA-Z0-9_]{0,47}$/;

/** Refuses a keyspace name that would need quoting: it is spliced into CQL (CREATE KEYSPACE cannot bind it). */
export function checkKeyspace(keyspace: string): string {
  if (!KEYSPACE_NAME.test(keyspace)) {
    throw new TandemError(
      'CONFIG_INVALID',
      `Keyspace ${JSON.stringify(keyspace)} must be a letter then up to 47 letters, digits or _`,
      { details: { keyspace } },
    );
  }
  return keyspace;
}

/**
 * A driver client with bounded waits: a request fails after requestTimeoutMs instead of the
 * driver's 12 s, and a node that went down is tried again every 0.5 to 5 s (the driver's
 * default backs off to 10 minutes, so a restarted Cassandra would stay unused for that long).
 * `keyspace: null` connects without one (to create it).
 */
export function createCassandraClient(
  options: CassandraOptions,
  keyspace: string | null = options.keyspace,
): Client {
  return new Client({
    contactPoints: options.contactPoints,
    localDataCenter: options.localDataCenter,
    ...(keyspace === null ? {} : { keyspace: checkKeyspace(keyspace) }),
    socketOptions: {
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      readTimeout: options.requestTimeoutMs ?? 4_000,
    },
    policies: {
      reconnection: new policies.reconnection.ExponentialReconnectionPolicy(500, 5_000, false),
    },
    queryOptions: {
      consistency: CONSISTENCIES[options.consistency ?? 'localQuorum'],
      prepare: true,
    },
  });
}

/** A connected client (see createCassandraClient); fails with UNAVAILABLE when no node answers. */
export async function connectCassandra(options: CassandraOptions): Promise<Client> {
  const client = createCassandraClient(options);
  try {
    await call('connect', () => client.connect());
  } catch (err) {
    await client.shutdown();
    throw err;
  }
  return client;
}

/** Response codes that say the request itself is wrong: retrying cannot help. */
const REQUEST_ERRORS = new Set<number>([
  types.responseErrorCodes.syntaxError,
  types.responseErrorCodes.invalid,
  types.responseErrorCodes.unauthorized,
  types.responseErrorCodes.configError,
  types.responseErrorCodes.alreadyExists,
  types.responseErrorCodes.protocolError,
  types.responseErrorCodes.badCredentials,
]);

/** Runs one driver call, its failure turned into a TandemError (see toTandemError). */
export async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toTandemError(err, operation);
  }
}

/**
 * A driver failure as a TandemError: Cassandra unreachable, overloaded or timing out is
 * UNAVAILABLE (retryable, so an op is refused and resent, never acknowledged); a request
 * Cassandra or the driver refuses as malformed is INTERNAL (a bug or a schema mismatch).
 */
function toTandemError(err: unknown, operation: string): unknown {
  if (!(err instanceof errors.DriverError)) return err;
  const wrong =
    (err instanceof errors.ResponseError && REQUEST_ERRORS.has(err.code)) ||
    err instanceof errors.ArgumentError ||
    err instanceof errors.NotSupportedError ||
    err instanceof errors.DriverInternalError;
  if (wrong) {
    return new TandemError('INTERNAL', `Cassandra refused ${operation}: ${err.message}`, {
      details: { operation },
      cause: err,
    });
  }
  return new TandemError('UNAVAILABLE', `Cassandra is unavailable (${operation}): ${err.message}`, {
    retryAfterMs: 1_000,
    details: { operation },
    cause: err,
  });
}
