import {
  type HistoryEntry,
  type HistoryQuery,
  type HistoryState,
  type HistoryStore,
  newestVersion,
} from '@tandem/core';

/** Timelines in memory: for tests, with the same write rules as the SQL store. */
export class MemoryHistoryStore implements HistoryStore {
  /** Each document's entries by fromVersion, kept as copies so callers cannot change them. */
  private readonly docs = new Map<string, Map<number, HistoryEntry>>();

  async state(docId: string): Promise<HistoryState> {
    const entries = [...(this.docs.get(docId)?.values() ?? [])];
    const latest = new Map<string, HistoryEntry>();
    for (const e of entries) {
      const kept = latest.get(e.userId);
      if (!kept || kept.fromVersion < e.fromVersion) latest.set(e.userId, e);
    }
    const newest = [...latest.values()].map((e) => structuredClone(e));
    return { version: newestVersion(newest), latest: newest };
  }

  async save(docId: string, entries: readonly HistoryEntry[], expectedVersion: number): Promise<boolean> {
    if ((await this.state(docId)).version !== expectedVersion) return false;
    const doc = this.docs.get(docId) ?? new Map<number, HistoryEntry>();
    this.docs.set(docId, doc);
    for (const entry of entries) {
      const kept = doc.get(entry.fromVersion);
      if (kept && kept.toVersion > entry.toVersion) continue;
      doc.set(entry.fromVersion, {
        ...structuredClone(entry),
        restoredVersion: entry.restoredVersion ?? kept?.restoredVersion ?? null,
      });
    }
    return true;
  }

  async get(docId: string, fromVersion: number): Promise<HistoryEntry | null> {
    const entry = this.docs.get(docId)?.get(fromVersion);
    return entry ? structuredClone(entry) : null;
  }

  async list(docId: string, query: HistoryQuery): Promise<{ items: HistoryEntry[]; next: number | null }> {
    const matching = [...(this.docs.get(docId)?.values() ?? [])]
      .filter(
        (e) =>
          (query.before === undefined || e.fromVersion < query.before) &&
          (query.userId === undefined || e.userId === query.userId) &&
          (query.since === undefined || e.endedAt >= query.since) &&
          (query.until === undefined || e.startedAt <= query.until),
      )
      .sort((a, b) => b.fromVersion - a.fromVersion);
    const items = matching.slice(0, query.limit).map((e) => structuredClone(e));
    const last = items[items.length - 1];
    return { items, next: matching.length > query.limit && last ? last.fromVersion : null };
  }

  async purge(docId: string): Promise<void> {
    this.docs.delete(docId);
  }
}
