import type { SnapshotStore, StoredSnapshot } from '@tandem/core';

/** Snapshots in memory: for tests of the pipeline. */
export class MemorySnapshotStore implements SnapshotStore {
  private readonly docs = new Map<string, StoredSnapshot[]>();

  async put(snapshot: StoredSnapshot): Promise<void> {
    const list = (this.docs.get(snapshot.docId) ?? []).filter((s) => s.version !== snapshot.version);
    list.push(structuredClone(snapshot));
    list.sort((a, b) => a.version - b.version);
    this.docs.set(snapshot.docId, list);
  }

  async latest(docId: string, maxVersion = Number.POSITIVE_INFINITY): Promise<StoredSnapshot | null> {
    const list = this.docs.get(docId) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i] as StoredSnapshot;
      if (s.version <= maxVersion) return structuredClone(s);
    }
    return null;
  }

  async purge(docId: string): Promise<void> {
    this.docs.delete(docId);
  }
}
