import type { ClientSeq, OpRecord } from './op-record.js';

export type CommitOutcome = { ok: true } | { ok: false; head: number };

/**
 * The hot state of each document that the commit pipeline serializes on: its committed
 * version (the head), its most recent ops and each client's last seq. commit() is the one
 * serialization point of the whole system: two committers that both think they own a
 * document cannot fork it, because only one of them finds the head it expected.
 */
export interface DocStateStore {
  /** The committed version, or null when the store knows nothing of the document (never seeded, or its data was lost). */
  head(docId: string): Promise<number | null>;
  /** The ops after version `after` up to the head, in order; null when the store no longer keeps all of them. */
  since(docId: string, after: number): Promise<OpRecord[] | null>;
  lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null>;
  /**
   * Atomically: if the head is `expected`, appends `records` (versions expected + 1, …),
   * records each one's (clientId, seq) and moves the head to the last. Otherwise changes
   * nothing and returns the actual head.
   */
  commit(docId: string, expected: number, records: readonly OpRecord[]): Promise<CommitOutcome>;
  /**
   * Seeds a document from the op log: head `version`, with `recent` as its latest ops and
   * `seqs` as the clients' last seqs. Does nothing when the store already has a head at or
   * past `version`.
   */
  seed(
    docId: string,
    version: number,
    recent: readonly OpRecord[],
    seqs: ReadonlyMap<string, ClientSeq>,
  ): Promise<void>;
  /** Forgets the document. */
  drop(docId: string): Promise<void>;
}
