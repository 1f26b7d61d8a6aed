import type { AnyDocType, DocTypeName } from '@tandem/ot';
import type { OpRecord } from '../ports/op-record.js';
import type { SubmitRequest, SubmitResult } from './live-doc.js';

/**
 * What a gateway asks of the collaboration layer. The CollabEngine implements it in the
 * process that owns the document; in distributed mode a client of the owning worker does.
 */
export interface CollabService {
  open(docId: string): Promise<{ type: DocTypeName; version: number; snapshot: unknown }>;
  /** Committed ops with after < version <= to; VERSION_FUTURE when `after` or `to` is above the current version. */
  opsSince(docId: string, after: number, to?: number): Promise<OpRecord[]>;
  submit(req: SubmitRequest): Promise<SubmitResult>;
  typeOf(docId: string): Promise<AnyDocType>;
}
