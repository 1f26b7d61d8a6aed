import {
  CallBatcher,
  type HistoryEntry,
  type HistoryQuery,
  type HistoryState,
  type HistoryStore,
  newestVersion,
} from '@tandem/core';
import { type SqlClient, toNumber } from './sql.js';

interface EntryRow {
  doc_id: string;
  from_version: number | string;
  to_version: number | string;
  kind: HistoryEntry['kind'];
  user_id: string;
  started_at: number | string;
  ended_at: number | string;
  ops: number;
  inserted: number | string;
  deleted: number | string;
  formatted: number | string;
  span_start: number | string | null;
  span_end: number | string | null;
  paths: HistoryEntry['paths'];
  restored_version: number | string | null;
}

const COLUMNS = `doc_id, from_version, to_version, kind, user_id, started_at, ended_at, ops, inserted, deleted,
  formatted, span_start, span_end, paths, restored_version`;

function entryOf(row: EntryRow): HistoryEntry {
  return {
    docId: row.doc_id,
    fromVersion: toNumber(row.from_version),
    toVersion: toNumber(row.to_version),
    kind: row.kind,
    userId: row.user_id,
    startedAt: toNumber(row.started_at),
    endedAt: toNumber(row.ended_at),
    ops: row.ops,
    inserted: toNumber(row.inserted),
    deleted: toNumber(row.deleted),
    formatted: toNumber(row.formatted),
    span:
      row.span_start === null || row.span_end === null
        ? null
        : { start: toNumber(row.span_start), end: toNumber(row.span_end) },
    paths: row.paths,
    restoredVersion: row.restored_version === null ? null : toNumber(row.restored_version),
  };
}

function rowOf(e: HistoryEntry): Record<string, unknown> {
  return {
    doc_id: e.docId,
    from_version: e.fromVersion,
    to_version: e.toVersion,
    kind: e.kind,
    user_id: e.userId,
    started_at: e.startedAt,
    ended_at: e.endedAt,
    ops: e.ops,
    inserted: e.inserted,
    deleted: e.deleted,
    formatted: e.formatted,
    span_start: e.span?.start ?? null,
    span_end: e.span?.end ?? null,
    paths: e.paths,
    restored_version: e.restoredVersion,
  };
}

interface Save {
  docId: string;
  entries: readonly HistoryEntry[];
  expectedVersion: number;
}

/**
 * Timelines in the history table. A save is one statement (the entries as one JSON
 * parameter, checked against the document's newest version in the same statement), so it is
 * atomic on PGlite and on a pg pool alike; the saves of one turn of the event loop share it.
 */
export class SqlHistoryStore implements HistoryStore {
  private readonly saves = new CallBatcher<Save, boolean>(
    (saves) => this.saveAll(saves),
    (s) => s.docId,
  );

  constructor(private readonly db: SqlClient) {}

  async state(docId: string): Promise<HistoryState> {
    const { rows } = await this.db.query<EntryRow>(
      `SELECT DISTINCT ON (user_id) ${COLUMNS} FROM history WHERE doc_id = $1
       ORDER BY user_id, from_version DESC`,
      [docId],
    );
    const latest = rows.map(entryOf);
    return { version: newestVersion(latest), latest };
  }

  save(docId: string, entries: readonly HistoryEntry[], expectedVersion: number): Promise<boolean> {
    if (entries.length === 0) return this.state(docId).then((state) => state.version === expectedVersion);
    return this.saves.call({ docId, entries, expectedVersion });
  }

  /**
   * The saves of one turn in one statement (a summarizer saves its documents together):
   * each document's entries are written only if its newest version is still the expected one.
   */
  private async saveAll(saves: readonly Save[]): Promise<boolean[]> {
    const entries = saves.flatMap((s) =>
      s.entries.map((e) => ({ ...rowOf(e), expected: s.expectedVersion })),
    );
    const { rows } = await this.db.query<{ doc_id: string }>(
      `WITH e AS (
         SELECT * FROM json_to_recordset($1::text::json) AS e(
           doc_id text, from_version bigint, to_version bigint, kind text, user_id text, started_at bigint,
           ended_at bigint, ops integer, inserted bigint, deleted bigint, formatted bigint, span_start bigint,
           span_end bigint, paths json, restored_version bigint, expected bigint
         )
       ),
       written AS (
         INSERT INTO history (${COLUMNS})
         SELECT ${COLUMNS} FROM e
         WHERE e.expected = (SELECT coalesce(max(h.to_version), -1) FROM history h WHERE h.doc_id = e.doc_id)
         ON CONFLICT (doc_id, from_version) DO UPDATE SET
           to_version = excluded.to_version, kind = excluded.kind, user_id = excluded.user_id,
           started_at = excluded.started_at, ended_at = excluded.ended_at, ops = excluded.ops,
           inserted = excluded.inserted, deleted = excluded.deleted, formatted = excluded.formatted,
           span_start = excluded.span_start, span_end = excluded.span_end, paths = excluded.paths,
           restored_version = coalesce(excluded.restored_version, history.restored_version)
         WHERE history.to_version <= excluded.to_version
         RETURNING doc_id
       )
       SELECT DISTINCT doc_id FROM written`,
      [JSON.stringify(entries)],
    );
    // Every entry derives from the state the check confirmed, so none is refused by the
    // toVersion rule when the check passed: a document with no row written failed the check.
    const written = new Set(rows.map((r) => r.doc_id));
    return saves.map((s) => written.has(s.docId));
  }

  async get(docId: string, fromVersion: number): Promise<HistoryEntry | null> {
    const { rows } = await this.db.query<EntryRow>(
      `SELECT ${COLUMNS} FROM history WHERE doc_id = $1 AND from_version = $2`,
      [docId, fromVersion],
    );
    return rows[0] ? entryOf(rows[0]) : null;
  }

  async list(docId: string, query: HistoryQuery): Promise<{ items: HistoryEntry[]; next: number | null }> {
    const { rows } = await this.db.query<EntryRow>(
      `SELECT ${COLUMNS} FROM history
       WHERE doc_id = $1 AND ($2::bigint IS NULL OR from_version < $2) AND ($3::text IS NULL OR user_id = $3)
         AND ($4::bigint IS NULL OR ended_at >= $4) AND ($5::bigint IS NULL OR started_at <= $5)
       ORDER BY from_version DESC LIMIT $6`,
      [
        docId,
        query.before ?? null,
        query.userId ?? null,
        query.since ?? null,
        query.until ?? null,
        query.limit + 1,
      ],
    );
    const items = rows.slice(0, query.limit).map(entryOf);
    const last = items[items.length - 1];
    return { items, next: rows.length > query.limit && last ? last.fromVersion : null };
  }

  async purge(docId: string): Promise<void> {
    await this.db.query('DELETE FROM history WHERE doc_id = $1', [docId]);
  }
}
