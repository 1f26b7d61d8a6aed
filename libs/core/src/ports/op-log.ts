import { TandemError } from '@tandem/errors';
import type { ClientSeq, OpRecord } from './op-record.js';

/**
 * The durable, append-only history of every document: the source of truth. An op is
 * acknowledged only after append() has resolved for it.
 */
export interface OpLog {
  /**
   * Stores ops of one document. Idempotent: a version already stored with the same
   * (clientId, seq) is left as it is (a repair may append what an earlier attempt already
   * wrote). A version already stored with a different op is a fork of the history and is
   * refused with INTERNAL (see assertSameOps), after the other versions are stored.
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

/**
 * Throws INTERNAL when an op log already holds a different op at a version being
 * appended: two committers disagreed about the history, and acking either would lose
 * the other's op. `stored` are the log's ops at the versions of `appended` it already had.
 */
export function assertSameOps(
  docId: string,
  appended: readonly Pick<OpRecord, 'version' | 'clientId' | 'seq'>[],
  stored: readonly Pick<OpRecord, 'version' | 'clientId' | 'seq'>[],
): void {
  const byVersion = new Map(stored.map((r) => [r.version, r]));
  for (const r of appended) {
    const s = byVersion.get(r.version);
    if (s && (s.clientId !== r.clientId || s.seq !== r.seq)) {
      throw new TandemError(
        'INTERNAL',
        `Op log of ${docId} already holds a different op at version ${r.version}`,
        {
          details: { docId, version: r.version },
        },
      );
    }
  }
}
