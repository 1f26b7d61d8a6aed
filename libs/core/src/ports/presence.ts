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

/**
 * Who is where in each document; an entry expires `ttlMs` after its last update. Every
 * process that holds clients of a document (each gateway) writes here, and one of them at a
 * time sends the document's batch (takeBatch), so a document gets one batch per interval
 * however many gateways its editors are spread over.
 */
export interface PresenceStore {
  /**
   * Records a client's entry, live for `ttlMs` from now, and says whether that was a change
   * to the document's presence. It is none when the client's live entry is identical (every
   * field) to `restates`, by default the entry itself: a still editor restating where it is,
   * which the last batch already showed, only extends the entry's life, or each restatement
   * of each still editor would send everyone a batch. An entry that has expired was left out
   * of the batches since, so setting it again is a change. `restates` lets the caller state
   * that a different entry means the same (PresenceHub: the same cursor at a later version);
   * the store still checks that the live entry is that one.
   */
  set(entry: PresenceEntry, ttlMs: number, restates?: PresenceEntry): Promise<boolean>;
  /** Drops a client's entry; a change if there was one. */
  remove(docId: string, clientId: string): Promise<void>;
  /**
   * Asks for the turn to send the document's batch, as process `by`. The live entries: send
   * them now (every change so far counts as sent). `busy`: another process took a turn less
   * than `intervalMs` ago; ask again later. `unchanged`: no change since the last turn any
   * process took. The process that took the last turn may take the next one within
   * `intervalMs`: it asks on its own timer of that period, and a few milliseconds of timer or
   * network jitter must not make it skip a beat. An entry that expires is not a change: it is
   * left out of the next batch something else causes.
   */
  takeBatch(docId: string, by: string, intervalMs: number): Promise<PresenceEntry[] | 'busy' | 'unchanged'>;
}
