import type { DocTypeName } from '@tandem/ot';
import type { Role } from '@tandem/protocol';

export interface DocumentMeta {
  id: string;
  title: string;
  type: DocTypeName;
  ownerId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface DocumentListItem extends DocumentMeta {
  /** The caller's role on it. */
  role: Role;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
}

export interface Permission {
  userId: string;
  role: Role;
}

/** Documents, who may do what with them, and (later) their history. */
export interface MetadataStore {
  /** Creates a document and makes its owner's role 'owner'. Throws BAD_MESSAGE if the id is taken. */
  create(doc: { id: string; title: string; type: DocTypeName; ownerId: string }): Promise<DocumentMeta>;
  /** The document, or null when there is none or it was deleted. */
  get(id: string): Promise<DocumentMeta | null>;
  /** The documents `userId` has any role on, newest update first. */
  list(userId: string, options: { limit: number; after?: string }): Promise<Page<DocumentListItem>>;
  rename(id: string, title: string): Promise<DocumentMeta | null>;
  /** Marks the document deleted; it disappears from get, list and roleOf. */
  remove(id: string): Promise<void>;
  /** Records that the document changed (for list order). */
  touch(id: string, at: Date): Promise<void>;
  roleOf(docId: string, userId: string): Promise<Role | null>;
  /** Grants or changes a role; null revokes it. The owner's own role cannot be changed. */
  setRole(docId: string, userId: string, role: Role | null): Promise<void>;
  permissions(docId: string): Promise<Permission[]>;
  /**
   * Records that the snapshot store holds a snapshot of the document at `version`. The
   * recorded version never moves back (a redelivered event may store an older snapshot
   * again); a missing or deleted document is left as it is.
   */
  setLatestSnapshot(docId: string, version: number): Promise<void>;
  /**
   * Keeps a copy of the document's content at version 0, away from its snapshots: what its
   * op log is replayed onto when every snapshot of it is corrupt. A missing or deleted
   * document is left as it is.
   */
  setInitialContent(docId: string, content: unknown): Promise<void>;
  /**
   * What the metadata knows of the document's snapshots: its type, the latest recorded
   * snapshot version and its initial content (each null until recorded). Null when there is
   * no such document or it was deleted.
   */
  snapshotState(docId: string): Promise<{
    type: DocTypeName;
    latestSnapshot: number | null;
    initial: { content: unknown } | null;
  } | null>;
  /**
   * Every live document with its latest recorded snapshot version and whether its initial
   * content is kept, in id order, `limit` per page: what the snapshot service checks for
   * documents it missed while it was down.
   */
  snapshotVersions(options: {
    limit: number;
    after?: string;
  }): Promise<Page<{ docId: string; latestSnapshot: number | null; hasInitial: boolean }>>;
  /**
   * Records whether the document has changes the search index does not hold yet: set when the
   * search indexer starts waiting out its debounce, cleared once it has indexed them and the
   * document has gone a debounce without a change, so an indexer that dies in between (its events acknowledged) finds the document when it starts
   * again. A missing or deleted document is left as it is.
   */
  setSearchStale(docId: string, stale: boolean): Promise<void>;
  /** The live documents marked stale for search, in id order, `limit` per page. */
  searchStale(options: { limit: number; after?: string }): Promise<Page<string>>;
}
