import type { ConflictNotice, PresenceBatch } from '@tandem/protocol';
import type { OpRecord } from './op-record.js';

/** What travels on a document's broadcast channel to every gateway that has it open. */
export type DocBroadcast =
  | {
      kind: 'op';
      record: OpRecord /** The gateway session that submitted it, which gets an ack instead. */;
      origin?: string;
    }
  | { kind: 'conflict'; notice: ConflictNotice }
  | { kind: 'presence'; batch: PresenceBatch }
  /** Roles on the document changed: gateways re-check their sessions' access. */
  | { kind: 'permissions' }
  /** The document was deleted: gateways drop it from their sessions. */
  | { kind: 'deleted' };

/** Per-document broadcast: a gateway subscribes only to the documents its clients have open. */
export interface FanOut {
  publish(docId: string, message: DocBroadcast): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(docId: string, handler: (message: DocBroadcast) => void): () => void;
}
