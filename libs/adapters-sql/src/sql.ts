/**
 * What the stores need from a database: one statement at a time with $1, $2… parameters.
 * PGlite satisfies it, and so does a pg Pool, because every store method is a single
 * statement (atomic on its own) and never needs a session of its own.
 */
export interface SqlClient {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

/**
 * A bigint column as a JS number. PGlite returns int8 as a number when it is safe and
 * pg returns it as a string; versions, seqs and millisecond timestamps are all far below
 * 2^53, so the conversion is exact.
 */
export function toNumber(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}
