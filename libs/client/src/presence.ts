import type { AnyDocType } from '@tandem/ot';
import type { PresenceUser } from '@tandem/protocol';

/** A selection in the document type's cursor unit (a number, or a json1 path that may be gone). */
export interface SelectionValue {
  anchor: unknown;
  head: unknown;
}

export interface RemotePresence {
  userId: string;
  clientId: string;
  name: string;
  color: string;
  /** In this client's current coordinates; null when hidden or when its item was removed. */
  selection: SelectionValue | null;
}

/** Other users' cursors in one document, kept in this client's coordinates as ops apply. */
export class RemotePresenceSet {
  private readonly byClient = new Map<string, RemotePresence>();

  list(): RemotePresence[] {
    return [...this.byClient.values()];
  }

  /** Replaces the set from a server batch; `toLocal` brings a selection from the batch's version to now. */
  replace(
    users: PresenceUser[],
    ownClientId: string,
    toLocal: (s: SelectionValue, clientId: string) => SelectionValue,
  ): void {
    this.byClient.clear();
    for (const u of users) {
      if (u.clientId === ownClientId) continue;
      const selection = u.selection ? this.dropIfGone(toLocal(u.selection, u.clientId)) : null;
      this.byClient.set(u.clientId, { ...u, selection });
    }
  }

  /** Moves every remote selection past `op`; `isAuthor` says whose own op it is (their caret goes after their insert). */
  transformAll(type: AnyDocType, op: unknown, isAuthor: (clientId: string) => boolean): void {
    for (const p of this.byClient.values()) {
      if (p.selection)
        p.selection = this.dropIfGone(this.transformSelection(type, p.selection, op, isAuthor(p.clientId)));
    }
  }

  transformSelection(type: AnyDocType, s: SelectionValue, op: unknown, ownOp: boolean): SelectionValue {
    return {
      anchor: type.transformCursor(s.anchor, op, ownOp),
      head: type.transformCursor(s.head, op, ownOp),
    };
  }

  /** Null for a selection whose anchor or head was removed (a json1 item deleted). */
  dropIfGone(s: SelectionValue): SelectionValue | null {
    return s.anchor === null || s.head === null ? null : s;
  }
}
