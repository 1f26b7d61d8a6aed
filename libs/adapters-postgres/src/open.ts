import type { SqlClient } from '@tandem/adapters-sql';
import { type Log, silentLog } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { runMigrations } from '@tandem/sql-migrations';
import pg from 'pg';

export interface OpenPostgresOptions {
  /** Connections in the pool (default 10). */
  max?: number;
  /**
   * How long a query waits for a connection, from the pool or a new one, before it fails
   * with UNAVAILABLE (default 5,000 ms): an unreachable server is reported, not waited on.
   */
  connectionTimeoutMs?: number;
  /** Shown in pg_stat_activity, so an operator sees which service holds a connection. */
  applicationName?: string;
  /** Where a connection lost while idle in the pool is reported. */
  log?: Log;
}

/** A pool of connections to one Postgres database: the SqlClient of the SQL stores. */
export interface PostgresDatabase extends SqlClient {
  /** Ends every connection; queries made afterwards fail. */
  close(): Promise<void>;
}

/** Retried after this long: a restarting server or a full pool is back within seconds. */
const RETRY_AFTER_MS = 1000;

/**
 * Connects to the Postgres at `url` and migrates its schema to the latest (the migrations
 * of infra/migrations, the same as PGlite's). Several processes may start at once against
 * one database: the migration runner holds a session advisory lock, so one of them applies
 * a pending migration and the others wait for it, then find it applied.
 *
 * Each store method is a single statement, so every query takes any pooled connection and
 * returns it at once: no session state is shared between calls.
 */
export async function openPostgres(
  url: string,
  options: OpenPostgresOptions = {},
): Promise<PostgresDatabase> {
  const log = options.log ?? silentLog;
  const where = redact(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    application_name: options.applicationName ?? 'tandem',
  });
  // An idle connection that the server closes (restart, failover, idle timeout) emits
  // 'error' on the pool, which would end the process if nobody listened. The pool drops
  // that connection and opens a new one for the next query.
  pool.on('error', (err) => log.warn({ err, postgres: where }, 'postgres connection lost while idle'));
  try {
    const client = await pool.connect().catch((err: unknown) => {
      throw classify(err, where);
    });
    try {
      // The advisory lock and the transactions of the migrations are per session: they
      // run on one checked-out connection, never through the pool.
      const applied = await runMigrations({
        query: (sql, params) => client.query(sql, params),
        exec: (sql) => client.query(sql),
      });
      if (applied.length > 0) log.info({ postgres: where, applied }, 'applied migrations');
      await warnOfCLocale(client, where, log);
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end();
    throw err;
  }
  return new PgPoolDatabase(pool, where);
}

/**
 * Case folding of non-ASCII letters (É to é, Д to д) follows the database's LC_CTYPE, and
 * under C or POSIX it folds ASCII only: search for "café" then misses "CAFÉ". A database's
 * LC_CTYPE is fixed when it is created, so this can only be reported, for the operator to
 * create it with LC_CTYPE 'C.UTF-8' (or any UTF-8 locale); everything else works.
 */
async function warnOfCLocale(client: pg.PoolClient, where: string, log: Log): Promise<void> {
  const { rows } = await client.query<{ lc_ctype: string }>('SHOW lc_ctype');
  const ctype = rows[0]?.lc_ctype;
  if (ctype === 'C' || ctype === 'POSIX') {
    log.warn(
      { postgres: where, lc_ctype: ctype },
      "the database's LC_CTYPE folds the case of ASCII letters only: search will not match CAFÉ to café; create it with LC_CTYPE 'C.UTF-8'",
    );
  }
}

class PgPoolDatabase implements PostgresDatabase {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly where: string,
  ) {}

  async query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }> {
    try {
      const { rows } = await this.pool.query(sql, params);
      return { rows: rows as T[] };
    } catch (err) {
      throw classify(err, this.where);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }
}

/**
 * SQLSTATEs that say the server, not the statement, is the problem: connection exceptions
 * (class 08), the server shutting down or still starting (57P01-57P03), and too many
 * connections (53300). The same statement may succeed once the server is back.
 */
function isUnavailableState(code: string | undefined): boolean {
  return code !== undefined && (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300');
}

/**
 * pg reports a lost or refused connection as a plain Error: a Node socket error (with a
 * syscall), or one of its own messages for a connection that ended or did not come in
 * time. Every other plain Error is a bug in the caller (a value pg cannot send).
 */
function isConnectionFailure(err: Error): boolean {
  return (
    'syscall' in err ||
    /^Connection terminated|timeout exceeded when trying to connect|not queryable/i.test(err.message)
  );
}

/**
 * Outages become UNAVAILABLE (retryable: the API answers 503, the engine refuses the op
 * with a retry hint) instead of a driver error the caller cannot tell from a bug.
 * Statement errors (constraint, syntax) pass through unchanged.
 */
function classify(err: unknown, where: string): unknown {
  const unavailable =
    err instanceof pg.DatabaseError
      ? isUnavailableState(err.code)
      : err instanceof Error && isConnectionFailure(err);
  if (!unavailable) return err;
  return new TandemError('UNAVAILABLE', `postgres at ${where} is unavailable: ${(err as Error).message}`, {
    retryAfterMs: RETRY_AFTER_MS,
    details: { postgres: where },
    cause: err,
  });
}

/** The URL without its password, for messages and logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable postgres URL)';
  }
}
