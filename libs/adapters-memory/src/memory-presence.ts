import type { PresenceEntry, PresenceStore } from '@tandem/core';

/** Presence in this process's memory; entries expire `ttlMs` after their last update. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly docs = new Map<string, Map<string, { entry: PresenceEntry; expires: number }>>();

  constructor(private readonly now: () => number = Date.now) {}

  async set(entry: PresenceEntry, ttlMs: number): Promise<void> {
    let doc = this.docs.get(entry.docId);
    if (!doc) {
      doc = new Map();
      this.docs.set(entry.docId, doc);
    }
    doc.set(entry.clientId, { entry, expires: this.now() + ttlMs });
  }

  async remove(docId: string, clientId: string): Promise<void> {
    const doc = this.docs.get(docId);
    doc?.delete(clientId);
    if (doc?.size === 0) this.docs.delete(docId);
  }

  async list(docId: string): Promise<PresenceEntry[]> {
    const doc = this.docs.get(docId);
    if (!doc) return [];
    const now = this.now();
    const live: PresenceEntry[] = [];
    for (const [clientId, { entry, expires }] of doc) {
      if (expires <= now) doc.delete(clientId);
      else live.push(entry);
    }
    if (doc.size === 0) this.docs.delete(docId);
    return live;
  }
}
