import type { PresenceEntry, PresenceStore } from '@tandem/core';

interface DocPresence {
  entries: Map<string, { entry: PresenceEntry; expires: number }>;
  /** Changes made, and how many of them the last batch covered. */
  changes: number;
  sent: number;
  /** Who took the last batch turn, and until when nobody else may. */
  turn: { by: string; until: number } | null;
}

/** Presence in this process's memory; entries expire `ttlMs` after their last update. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly docs = new Map<string, DocPresence>();

  constructor(private readonly now: () => number = Date.now) {}

  async set(entry: PresenceEntry, ttlMs: number, restates: PresenceEntry = entry): Promise<boolean> {
    let doc = this.docs.get(entry.docId);
    if (!doc) {
      doc = { entries: new Map(), changes: 0, sent: 0, turn: null };
      this.docs.set(entry.docId, doc);
    }
    const now = this.now();
    const live = doc.entries.get(entry.clientId);
    const changed = !live || live.expires <= now || !sameEntry(live.entry, restates);
    doc.entries.set(entry.clientId, { entry, expires: now + ttlMs });
    if (changed) doc.changes++;
    return changed;
  }

  async remove(docId: string, clientId: string): Promise<void> {
    const doc = this.docs.get(docId);
    if (doc?.entries.delete(clientId)) doc.changes++;
  }

  async takeBatch(
    docId: string,
    by: string,
    intervalMs: number,
  ): Promise<PresenceEntry[] | 'busy' | 'unchanged'> {
    const doc = this.docs.get(docId);
    if (!doc) return 'unchanged';
    const now = this.now();
    const changed = doc.changes !== doc.sent;
    if (changed && doc.turn && doc.turn.by !== by && doc.turn.until > now) return 'busy';
    const live: PresenceEntry[] = [];
    for (const [clientId, { entry, expires }] of doc.entries) {
      if (expires <= now) doc.entries.delete(clientId);
      else live.push(entry);
    }
    if (changed) {
      doc.turn = { by, until: now + intervalMs };
      doc.sent = doc.changes;
    }
    // Nobody left and nothing more to send: forget the document, so closed ones do not pile up.
    if (doc.entries.size === 0) this.docs.delete(docId);
    return changed ? live : 'unchanged';
  }
}

function sameEntry(a: PresenceEntry, b: PresenceEntry): boolean {
  return (
    a.docId === b.docId &&
    a.clientId === b.clientId &&
    a.userId === b.userId &&
    a.name === b.name &&
    a.version === b.version &&
    JSON.stringify(a.selection && [a.selection.anchor, a.selection.head]) ===
      JSON.stringify(b.selection && [b.selection.anchor, b.selection.head])
  );
}
