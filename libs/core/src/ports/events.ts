import type { DocTypeName } from '@tandem/ot';
import type { Role } from '@tandem/protocol';
import type { OpRecord } from './op-record.js';

/** Events for the derived views (snapshots, history, search), keyed by document so each document's stay in order. */
export type TandemEvent =
  | { type: 'op.committed'; docId: string; docType: DocTypeName; record: OpRecord }
  | { type: 'doc.created'; docId: string; docType: DocTypeName; title: string; ownerId: string; at: number }
  | { type: 'doc.renamed'; docId: string; title: string; at: number }
  | { type: 'doc.deleted'; docId: string; at: number }
  | {
      type: 'doc.restored';
      docId: string;
      targetVersion: number;
      version: number;
      userId: string;
      at: number;
    }
  | { type: 'doc.permissions'; docId: string; userId: string; role: Role | null; at: number };

/**
 * The event stream. publish() may fail while the broker is down; the pipeline keeps
 * undelivered events and publishes them in order when it is back (ARCHITECTURE.md,
 * "degrade, don't stop").
 */
export interface EventBus {
  publish(events: readonly TandemEvent[]): Promise<void>;
  /** Delivers every event, in order per document, to one consumer of `group`. Returns the function that stops it. */
  subscribe(group: string, handler: (event: TandemEvent) => Promise<void>): () => void;
}
