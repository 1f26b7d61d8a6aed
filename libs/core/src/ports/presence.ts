import type { Selection } from '@tandem/protocol';

export interface PresenceEntry {
  docId: string;
  clientId: string;
  userId: string;
  name: string;
  selection: Selection | null;
  /** The document version the selection refers to. */
  version: number;
}

/** Who is where in each document; an entry expires `ttlMs` after its last update. */
export interface PresenceStore {
  set(entry: PresenceEntry, ttlMs: number): Promise<void>;
  remove(docId: string, clientId: string): Promise<void>;
  list(docId: string): Promise<PresenceEntry[]>;
}
