import { createHash } from 'node:crypto';
import type { SnapshotStore, StoredSnapshot } from '@tandem/core';

interface Kept {
  version: number;
  type: StoredSnapshot['type'];
  /** The data as JSON text: what a store on disk would hold, and a deep copy by construction. */
  json: string;
  /** SHA-256 of `json` when it was put. */
  checksum: string;
}

/**
 * Snapshots in memory: for tests of the pipeline. Checked like the stores on disk (a
 * snapshot whose data no longer matches its checksum is skipped for the one before it),
 * so that tests of the fallback run against it too.
 */
export class MemorySnapshotStore implements SnapshotStore {
  private readonly docs = new Map<string, Kept[]>();

  async put(snapshot: StoredSnapshot): Promise<void> {
    const json = JSON.stringify(snapshot.data);
    const list = (this.docs.get(snapshot.docId) ?? []).filter((s) => s.version !== snapshot.version);
    list.push({ version: snapshot.version, type: snapshot.type, json, checksum: sha256(json) });
    list.sort((a, b) => a.version - b.version);
    this.docs.set(snapshot.docId, list);
  }

  async latest(docId: string, maxVersion = Number.POSITIVE_INFINITY): Promise<StoredSnapshot | null> {
    const list = this.docs.get(docId) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i] as Kept;
      if (s.version > maxVersion || sha256(s.json) !== s.checksum) continue;
      return { docId, version: s.version, type: s.type, data: JSON.parse(s.json) };
    }
    return null;
  }

  async purge(docId: string): Promise<void> {
    this.docs.delete(docId);
  }

  /**
   * Replaces the data of a stored snapshot without its checksum, as a faulty disk would:
   * for tests of what happens to a corrupt snapshot. Returns false when there is no such snapshot.
   */
  corrupt(docId: string, version: number, data: unknown = `corrupted ${version}`): boolean {
    const kept = this.docs.get(docId)?.find((s) => s.version === version);
    if (!kept) return false;
    kept.json = JSON.stringify(data);
    return true;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
