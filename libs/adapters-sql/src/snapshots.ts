import { createHash } from 'node:crypto';
import { type Log, type SnapshotStore, type StoredSnapshot, silentLog } from '@tandem/core';
import type { DocTypeName } from '@tandem/ot';
import { type SqlClient, toNumber } from './sql.js';

interface SnapshotRow {
  version: number | string;
  type: DocTypeName;
  data: unknown;
  checksum: string | null;
}

/**
 * Snapshots in the snapshots table, one row per (document, version), each with the
 * SHA-256 of its data's canonical JSON (see snapshotChecksum).
 *
 * A row whose data no longer matches its checksum (a disk fault, a stray UPDATE) is skipped
 * with a warning in favour of the one before it: the op log holds every op since, so an
 * older snapshot costs replay time, never content. Rows written before checksums existed
 * (NULL) are trusted.
 */
export class SqlSnapshotStore implements SnapshotStore {
  private readonly log: Log;

  constructor(
    private readonly db: SqlClient,
    options: { log?: Log } = {},
  ) {
    this.log = options.log ?? silentLog;
  }

  async put(snapshot: StoredSnapshot): Promise<void> {
    await this.db.query(
      `INSERT INTO snapshots (doc_id, version, type, data, checksum) VALUES ($1, $2, $3, $4::text::json, $5)
       ON CONFLICT (doc_id, version) DO UPDATE
       SET type = excluded.type, data = excluded.data, checksum = excluded.checksum`,
      [
        snapshot.docId,
        snapshot.version,
        snapshot.type,
        JSON.stringify(snapshot.data),
        snapshotChecksum(snapshot.data),
      ],
    );
  }

  async latest(docId: string, maxVersion?: number): Promise<StoredSnapshot | null> {
    let below = maxVersion ?? Number.MAX_SAFE_INTEGER;
    for (;;) {
      // One row at a time: a corrupt one is rare, and each read may be a large document.
      const { rows } = await this.db.query<SnapshotRow>(
        `SELECT version, type, data, checksum FROM snapshots WHERE doc_id = $1 AND version <= $2
         ORDER BY version DESC LIMIT 1`,
        [docId, below],
      );
      const row = rows[0];
      if (!row) return null;
      const version = toNumber(row.version);
      if (row.checksum === null || snapshotChecksum(row.data) === row.checksum) {
        return { docId, version, type: row.type, data: row.data };
      }
      this.log.warn({ docId, version, reason: 'the checksum does not match' }, 'skipped a corrupt snapshot');
      below = version - 1;
    }
  }

  async purge(docId: string): Promise<void> {
    await this.db.query('DELETE FROM snapshots WHERE doc_id = $1', [docId]);
  }
}

/** Hex SHA-256 of the data's canonical JSON: the same for the same data whatever order its keys were built or stored in. */
function snapshotChecksum(data: unknown): string {
  return createHash('sha256').update(canonicalJson(data)).digest('hex');
}

/**
 * JSON with every object's keys in sorted order, at every depth. A snapshot's data comes
 * back from the database as a new object, so the checksum must not depend on the order
 * its keys happen to come back in.
 */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
  }
  const record = value as Record<string, unknown>;
  const fields: string[] = [];
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item !== undefined) fields.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${fields.join(',')}}`;
}
