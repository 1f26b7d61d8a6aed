import type { SnapshotStore, StoredSnapshot } from '@tandem/core';
import type { DocTypeName } from '@tandem/ot';
import { type SqlClient, toNumber } from './sql.js';

interface SnapshotRow {
  version: number | string;
  type: DocTypeName;
  data: unknown;
}

/** Snapshots in the snapshots table, one row per (document, version). */
export class SqlSnapshotStore implements SnapshotStore {
  constructor(private readonly db: SqlClient) {}

  async put(snapshot: StoredSnapshot): Promise<void> {
    await this.db.query(
      `INSERT INTO snapshots (doc_id, version, type, data) VALUES ($1, $2, $3, $4::text::json)
       ON CONFLICT (doc_id, version) DO UPDATE SET type = excluded.type, data = excluded.data`,
      [snapshot.docId, snapshot.version, snapshot.type, JSON.stringify(snapshot.data)],
    );
  }

  async latest(docId: string, maxVersion?: number): Promise<StoredSnapshot | null> {
    const { rows } = await this.db.query<SnapshotRow>(
      `SELECT version, type, data FROM snapshots WHERE doc_id = $1 AND version <= $2
       ORDER BY version DESC LIMIT 1`,
      [docId, maxVersion ?? Number.MAX_SAFE_INTEGER],
    );
    const row = rows[0];
    return row ? { docId, version: toNumber(row.version), type: row.type, data: row.data } : null;
  }

  async purge(docId: string): Promise<void> {
    await this.db.query('DELETE FROM snapshots WHERE doc_id = $1', [docId]);
  }
}
