import {
  CallBatcher,
  type DocumentListItem,
  type DocumentMeta,
  type MetadataStore,
  type Page,
  type Permission,
} from '@tandem/core';
import { TandemError } from '@tandem/errors';
import type { DocTypeName } from '@tandem/ot';
import type { Role } from '@tandem/protocol';
import { type SqlClient, toNumber } from './sql.js';

interface DocRow {
  id: string;
  title: string;
  type: DocTypeName;
  owner_id: string;
  created_at: Date;
  updated_at: Date;
}

interface ListRow extends DocRow {
  role: Role;
  /** updated_at in microseconds since the epoch: the exact value, for the cursor. */
  updated_us: number | string;
}

const DOC_COLUMNS = 'd.id, d.title, d.type, d.owner_id, d.created_at, d.updated_at';

/**
 * Documents and permissions in the documents and permissions tables. Each method is one
 * statement, so each is atomic without a session of its own: create() writes the document
 * and its owner's role together, setRole() checks the owner and writes in one go.
 *
 * Deletion is soft (deleted_at): a deleted document disappears from every read, its id
 * stays taken (its op log may still be being purged, and a new document under the same id
 * would inherit those ops), and late writes to it (touch, rename, setRole) are ignored or
 * refused rather than bringing it back.
 */
export class SqlMetadataStore implements MetadataStore {
  private readonly staleMarks = new CallBatcher<{ docId: string; stale: boolean }, undefined>(
    (marks) => this.setSearchStaleAll(marks),
    (mark) => mark.docId,
  );

  constructor(private readonly db: SqlClient) {}

  async create(doc: {
    id: string;
    title: string;
    type: DocTypeName;
    ownerId: string;
  }): Promise<DocumentMeta> {
    checkTitle(doc.title);
    const now = new Date();
    const { rows } = await this.db.query<DocRow>(
      `WITH d AS (
         INSERT INTO documents (id, title, type, owner_id, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (id) DO NOTHING
         RETURNING *
       ), owner_role AS (
         INSERT INTO permissions (doc_id, user_id, role) SELECT id, owner_id, 'owner' FROM d
       )
       SELECT ${DOC_COLUMNS} FROM d`,
      [doc.id, doc.title, doc.type, doc.ownerId, now],
    );
    const row = rows[0];
    if (!row) {
      throw new TandemError('BAD_MESSAGE', `a document with id ${doc.id} already exists`, {
        details: { docId: doc.id },
      });
    }
    return toMeta(row);
  }

  async get(id: string): Promise<DocumentMeta | null> {
    const { rows } = await this.db.query<DocRow>(
      `SELECT ${DOC_COLUMNS} FROM documents d WHERE d.id = $1 AND d.deleted_at IS NULL`,
      [id],
    );
    return rows[0] ? toMeta(rows[0]) : null;
  }

  async list(userId: string, options: { limit: number; after?: string }): Promise<Page<DocumentListItem>> {
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TandemError('BAD_MESSAGE', 'limit must be a positive integer', { details: { limit } });
    }
    const after = options.after === undefined ? null : decodeCursor(options.after);
    // Keyset pagination on (updated_at, id), both descending: a page costs the same at any
    // depth, and documents created while paging do not shift the later pages. The extra
    // row tells whether there is a next page.
    const { rows } = await this.db.query<ListRow>(
      `SELECT ${DOC_COLUMNS}, p.role,
              (extract(epoch FROM d.updated_at) * 1000000)::bigint AS updated_us
       FROM permissions p JOIN documents d ON d.id = p.doc_id
       WHERE p.user_id = $1 AND d.deleted_at IS NULL
         AND ($2::bigint IS NULL
              OR (d.updated_at, d.id) < ('epoch'::timestamptz + $2::bigint * interval '1 microsecond', $3::text))
       ORDER BY d.updated_at DESC, d.id DESC
       LIMIT $4`,
      [userId, after?.us ?? null, after?.id ?? null, limit + 1],
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => ({ ...toMeta(row), role: row.role })),
      next: rows.length > limit && last ? encodeCursor(String(last.updated_us), last.id) : null,
    };
  }

  async rename(id: string, title: string): Promise<DocumentMeta | null> {
    checkTitle(title);
    const { rows } = await this.db.query<DocRow>(
      `UPDATE documents d SET title = $2, updated_at = greatest(d.updated_at, $3)
       WHERE d.id = $1 AND d.deleted_at IS NULL
       RETURNING ${DOC_COLUMNS}`,
      [id, title, new Date()],
    );
    return rows[0] ? toMeta(rows[0]) : null;
  }

  async remove(id: string): Promise<void> {
    await this.db.query('UPDATE documents SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL', [
      id,
      new Date(),
    ]);
  }

  async touch(id: string, at: Date): Promise<void> {
    // greatest(): events may arrive out of order, and an older change must not move the
    // document down the list.
    await this.db.query(
      'UPDATE documents SET updated_at = greatest(updated_at, $2) WHERE id = $1 AND deleted_at IS NULL',
      [id, at],
    );
  }

  async roleOf(docId: string, userId: string): Promise<Role | null> {
    const { rows } = await this.db.query<{ role: Role }>(
      `SELECT p.role FROM permissions p JOIN documents d ON d.id = p.doc_id
       WHERE p.doc_id = $1 AND p.user_id = $2 AND d.deleted_at IS NULL`,
      [docId, userId],
    );
    return rows[0]?.role ?? null;
  }

  async setRole(docId: string, userId: string, role: Role | null): Promise<void> {
    if (role === 'owner') {
      // owner_id names the one owner; a second 'owner' row would be an owner whose role
      // anyone with sharing rights could take away again.
      throw new TandemError('BAD_MESSAGE', "the 'owner' role cannot be granted", {
        details: { docId, userId },
      });
    }
    // One statement: the write happens only if the document exists, is not deleted and
    // userId is not its owner; the owner_id it returns tells the caller which case it was.
    const { rows } = await this.db.query<{ owner_id: string | null }>(
      `WITH d AS (
         SELECT id, owner_id FROM documents WHERE id = $1 AND deleted_at IS NULL
       ), granted AS (
         INSERT INTO permissions (doc_id, user_id, role)
         SELECT d.id, $2, $3 FROM d WHERE d.owner_id <> $2 AND $3::text IS NOT NULL
         ON CONFLICT (doc_id, user_id) DO UPDATE SET role = excluded.role
       ), revoked AS (
         DELETE FROM permissions p USING d
         WHERE p.doc_id = d.id AND p.user_id = $2 AND d.owner_id <> $2 AND $3::text IS NULL
       )
       SELECT (SELECT owner_id FROM d) AS owner_id`,
      [docId, userId, role],
    );
    const ownerId = rows[0]?.owner_id ?? null;
    if (ownerId === null) {
      throw new TandemError('DOC_NOT_FOUND', `document ${docId} does not exist`, { details: { docId } });
    }
    if (ownerId === userId) {
      throw new TandemError('FORBIDDEN', "the owner's role cannot be changed", {
        details: { docId, userId },
      });
    }
  }

  async permissions(docId: string): Promise<Permission[]> {
    const { rows } = await this.db.query<{ user_id: string; role: Role }>(
      `SELECT p.user_id, p.role FROM permissions p JOIN documents d ON d.id = p.doc_id
       WHERE p.doc_id = $1 AND d.deleted_at IS NULL
       ORDER BY p.role = 'owner' DESC, p.user_id`,
      [docId],
    );
    return rows.map((row) => ({ userId: row.user_id, role: row.role }));
  }

  async setLatestSnapshot(docId: string, version: number): Promise<void> {
    // greatest() ignores NULL, so the first recorded version replaces it.
    await this.db.query(
      `UPDATE documents SET latest_snapshot = greatest(latest_snapshot, $2::bigint)
       WHERE id = $1 AND deleted_at IS NULL`,
      [docId, version],
    );
  }

  async setInitialContent(docId: string, content: unknown): Promise<void> {
    await this.db.query(
      'UPDATE documents SET initial_content = $2::text::json WHERE id = $1 AND deleted_at IS NULL',
      [docId, JSON.stringify(content)],
    );
  }

  async snapshotState(docId: string): Promise<{
    type: DocTypeName;
    latestSnapshot: number | null;
    initial: { content: unknown } | null;
  } | null> {
    // has_initial: a JSON null content and a SQL NULL both read back as null.
    const { rows } = await this.db.query<{
      type: DocTypeName;
      latest_snapshot: number | string | null;
      initial_content: unknown;
      has_initial: boolean;
    }>(
      `SELECT type, latest_snapshot, initial_content, initial_content IS NOT NULL AS has_initial
       FROM documents WHERE id = $1 AND deleted_at IS NULL`,
      [docId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      type: row.type,
      latestSnapshot: row.latest_snapshot === null ? null : toNumber(row.latest_snapshot),
      initial: row.has_initial ? { content: row.initial_content } : null,
    };
  }

  setSearchStale(docId: string, stale: boolean): Promise<void> {
    return this.staleMarks.call({ docId, stale });
  }

  /** The marks of one turn in one statement. */
  private async setSearchStaleAll(marks: readonly { docId: string; stale: boolean }[]): Promise<undefined[]> {
    await this.db.query(
      `UPDATE documents d SET search_stale = m.stale
       FROM unnest($1::text[], $2::boolean[]) AS m (id, stale)
       WHERE d.id = m.id AND d.deleted_at IS NULL AND d.search_stale <> m.stale`,
      [marks.map((m) => m.docId), marks.map((m) => m.stale)],
    );
    return marks.map(() => undefined);
  }

  async searchStale(options: { limit: number; after?: string }): Promise<Page<string>> {
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TandemError('BAD_MESSAGE', 'limit must be a positive integer', { details: { limit } });
    }
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM documents WHERE search_stale AND deleted_at IS NULL AND ($1::text IS NULL OR id > $1)
       ORDER BY id LIMIT $2`,
      [options.after ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map((row) => row.id);
    return { items, next: rows.length > limit ? (items[items.length - 1] ?? null) : null };
  }

  async snapshotVersions(options: {
    limit: number;
    after?: string;
  }): Promise<Page<{ docId: string; latestSnapshot: number | null; hasInitial: boolean }>> {
    const { limit } = options;
    if (!Number.isInteger(limit) || limit < 1) {
      throw new TandemError('BAD_MESSAGE', 'limit must be a positive integer', { details: { limit } });
    }
    const { rows } = await this.db.query<{
      id: string;
      latest_snapshot: number | string | null;
      has_initial: boolean;
    }>(
      `SELECT id, latest_snapshot, initial_content IS NOT NULL AS has_initial FROM documents
       WHERE deleted_at IS NULL AND ($1::text IS NULL OR id > $1)
       ORDER BY id LIMIT $2`,
      [options.after ?? null, limit + 1],
    );
    const items = rows.slice(0, limit).map((row) => ({
      docId: row.id,
      latestSnapshot: row.latest_snapshot === null ? null : toNumber(row.latest_snapshot),
      hasInitial: row.has_initial,
    }));
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? last.docId : null };
  }
}

function toMeta(row: DocRow): DocumentMeta {
  return {
    id: row.id,
    title: row.title,
    type: row.type,
    ownerId: row.owner_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** Postgres text cannot hold U+0000; refuse it here with a clear code rather than a driver error. */
function checkTitle(title: string): void {
  if (title.includes('\u0000')) {
    throw new TandemError('BAD_MESSAGE', 'a title cannot contain U+0000');
  }
}

/** The cursor is opaque to callers: base64url of the last item's exact updated_at (µs) and id. */
function encodeCursor(us: string, id: string): string {
  return Buffer.from(JSON.stringify([us, id])).toString('base64url');
}

function decodeCursor(cursor: string): { us: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      /^-?\d{1,19}$/.test(value[0]) &&
      typeof value[1] === 'string'
    ) {
      return { us: value[0], id: value[1] };
    }
  } catch {
    // Falls through to the error below: the cursor was not ours.
  }
  throw new TandemError('BAD_MESSAGE', 'invalid page cursor', { details: { after: cursor } });
}
