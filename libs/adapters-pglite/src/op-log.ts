import { type SqlClient, toNumber } from '@tandem/adapters-sql';
import { assertSameOps, CallBatcher, type ClientSeq, type OpLog, type OpRecord } from '@tandem/core';

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
 * round trip and one commit (one WAL flush) whatever its size; appends of other documents
 * that arrive meanwhile join the next statement (group commit). The commit pipeline
 * batches the ops that arrive while a commit is in flight, so this is what keeps the
 * commit rate from being bounded by the log's commit latency.
 *
 * Ops travel as JSON text and are stored in a json column, so an op reads back exactly as
 * it was written (key order included) and a NUL character in a text op is stored, which
 * jsonb would refuse.
 */
interface Append {
  docId: string;
  records: readonly OpRecord[];
}

export class PgliteOpLog implements OpLog {
  /**
   * Group commit: PGlite runs one statement at a time and every commit costs a WAL flush,
   * so the appends of many documents made in one turn of the event loop are written
   * together (one statement, one flush), and those that arrive during a write join the
   * next one. No append waits for a timer.
   */
  private readonly inserts = new CallBatcher<Append, Set<string>>(async (group) => {
    const inserted = await this.insert(group);
    return group.map(() => inserted);
  });

  constructor(private readonly db: SqlClient) {}

  async append(docId: string, records: readonly OpRecord[]): Promise<void> {
    if (records.length === 0) return;
    const append = { docId, records };
    await this.checkExisting(append, await this.inserts.call(append));
  }

  /** Inserts every record of the group in one statement; returns the (docId, version) pairs it stored. */
  private async insert(group: readonly Append[]): Promise<Set<string>> {
    const rows = group.flatMap((a) => a.records.map((r) => ({ docId: a.docId, r })));
    const { rows: inserted } = await this.db.query<{ doc_id: string; version: number | string }>(
      `INSERT INTO op_log (doc_id, version, op, author, client_id, seq, ts)
       SELECT r.doc_id, r.version, r.op::json, r.author, r.client_id, r.seq, r.ts
       FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])
         AS r (doc_id, version, op, author, client_id, seq, ts)
       ON CONFLICT (doc_id, version) DO NOTHING
       RETURNING doc_id, version`,
      [
        rows.map((x) => x.docId),
        rows.map((x) => x.r.version),
        rows.map((x) => JSON.stringify(x.r.op)),
        rows.map((x) => x.r.author),
        rows.map((x) => x.r.clientId),
        rows.map((x) => x.r.seq),
        rows.map((x) => x.r.ts),
      ],
    );
    return new Set(inserted.map((x) => `${x.doc_id}\u0000${toNumber(x.version)}`));
  }

  /** Versions of an append that were already stored must hold the same ops (else: a fork). */
  private async checkExisting(a: Append, inserted: Set<string>): Promise<void> {
    const existing = a.records.filter((r) => !inserted.has(`${a.docId}\u0000${r.version}`));
    if (existing.length === 0) return;
    const { rows } = await this.db.query<{
      version: number | string;
      client_id: string;
      seq: number | string;
    }>('SELECT version, client_id, seq FROM op_log WHERE doc_id = $1 AND version = ANY($2::bigint[])', [
      a.docId,
      existing.map((r) => r.version),
    ]);
    assertSameOps(
      a.docId,
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
