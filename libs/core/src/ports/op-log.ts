import type { ClientSeq, OpRecord } from './op-record.js';

/**
 * The durable, append-only history of every document: the source of truth. An op is
 * acknowledged only after append() has resolved for it.
 */
export interface OpLog {
  /**
   * Stores ops of one document, in version order. Idempotent: a version already stored
   * is left as it is (a repair may append what an earlier attempt already wrote).
   */
  append(docId: string, records: readonly OpRecord[]): Promise<void>;
  /** The ops with from <= version <= to (to defaults to the latest), in version order. */
  read(docId: string, from: number, to?: number): Promise<OpRecord[]>;
  /** The highest stored version; 0 when the document has no ops. */
  latestVersion(docId: string): Promise<number>;
  /** The newest op of `clientId` on the document, to answer a resend when no faster store remembers it. */
  lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null>;
  /** Deletes every op of the document (after the document itself was deleted). */
  purge(docId: string): Promise<void>;
}
