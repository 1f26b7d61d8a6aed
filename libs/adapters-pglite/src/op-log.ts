import { assertSameOps, type ClientSeq, type OpLog, type OpRecord } from '@tandem/core';
import { type SqlClient, toNumber } from './sql.js';

interface OpRow {
  version: number | string;
  op: unknown;
  author: string;
  client_id: string;
  seq: number | string;
  ts: number | string;
}

/**
 * The op log in the op_log table (infra/migrations/0001_init.sql).
 *
 * append() writes a whole batch in one INSERT … SELECT FROM unnest(arrays): one statement
 * is one transaction, so a batch is stored entirely or not at all, and its cost is one
 * round trip and one commit (one WAL flush) whatever its size. The commit pipeline
 * batches the ops that arrive while a commit is in flight, so this is what keeps the
 * commit rate from being bounded by the log's commit latency.
 *
 * Ops travel as JSON text and are stored in a json column, so an op reads back exactly as
 * it was written (key order included) and a NUL character in a text op is stored, which
 * jsonb would refuse.
 */
export class PgliteOpLog implements OpLog {
  constructor(private readonly db: SqlClient) {}

  async append(docId: string, records: readonly OpRecord[]): Promise<void> {
    if (records.length === 0) return;
    const { rows: inserted } = await this.db.query<{ version: number | string }>(
      `INSERT INTO op_log (doc_id, version, op, author, client_id, seq, ts)
       SELECT $1, r.version, r.op::json, r.author, r.client_id, r.seq, r.ts
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
         AS r (version, op, author, client_id, seq, ts)
       ON CONFLICT (doc_id, version) DO NOTHING
       RETURNING version`,
      [
        docId,
        records.map((r) => r.version),
        records.map((r) => JSON.stringify(r.op)),
        records.map((r) => r.author),
        records.map((r) => r.clientId),
        records.map((r) => r.seq),
        records.map((r) => r.ts),
      ],
    );
    if (inserted.length === records.length) return;
    const stored = new Set(inserted.map((r) => toNumber(r.version)));
    const existing = records.filter((r) => !stored.has(r.version));
    const { rows } = await this.db.query<{
      version: number | string;
      client_id: string;
      seq: number | string;
    }>('SELECT version, client_id, seq FROM op_log WHERE doc_id = $1 AND version = ANY($2::bigint[])', [
      docId,
      existing.map((r) => r.version),
    ]);
    assertSameOps(
      docId,
      existing,
      rows.map((r) => ({ version: toNumber(r.version), clientId: r.client_id, seq: toNumber(r.seq) })),
    );
  }

  async read(docId: string, from: number, to?: number): Promise<OpRecord[]> {
    const { rows } = await this.db.query<OpRow>(
      `SELECT version, op, author, client_id, seq, ts FROM op_log
       WHERE doc_id = $1 AND version BETWEEN $2 AND $3
       ORDER BY version`,
      [docId, from, to ?? Number.MAX_SAFE_INTEGER],
    );
    return rows.map(toRecord);
  }

  async latestVersion(docId: string): Promise<number> {
    const { rows } = await this.db.query<{ version: number | string | null }>(
      'SELECT max(version) AS version FROM op_log WHERE doc_id = $1',
      [docId],
    );
    const version = rows[0]?.version;
    return version == null ? 0 : toNumber(version);
  }

  async lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null> {
    const { rows } = await this.db.query<{ seq: number | string; version: number | string }>(
      `SELECT seq, version FROM op_log WHERE doc_id = $1 AND client_id = $2
       ORDER BY seq DESC LIMIT 1`,
      [docId, clientId],
    );
    const row = rows[0];
    return row ? { seq: toNumber(row.seq), version: toNumber(row.version) } : null;
  }

  async purge(docId: string): Promise<void> {
    await this.db.query('DELETE FROM op_log WHERE doc_id = $1', [docId]);
  }
}

function toRecord(row: OpRow): OpRecord {
  return {
    version: toNumber(row.version),
    op: row.op,
    author: row.author,
    clientId: row.client_id,
    seq: toNumber(row.seq),
    ts: toNumber(row.ts),
  };
}
