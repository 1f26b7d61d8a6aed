import type { DocTypeName } from '@tandem/ot';

export interface StoredSnapshot {
  docId: string;
  version: number;
  type: DocTypeName;
  /** The document content at `version`, as the type's JSON snapshot. */
  data: unknown;
}

/** Document contents at chosen versions; the current document is the latest snapshot plus the op log's tail. */
export interface SnapshotStore {
  /** Stores a snapshot; storing the same (docId, version) again replaces it. */
  put(snapshot: StoredSnapshot): Promise<void>;
  /** The newest snapshot at or below `maxVersion` (default: the newest of all). */
  latest(docId: string, maxVersion?: number): Promise<StoredSnapshot | null>;
  purge(docId: string): Promise<void>;
}
