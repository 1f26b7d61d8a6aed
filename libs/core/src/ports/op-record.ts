import type { CommittedOp } from '@tandem/protocol';

/** An op as the op log stores it: the committed op plus when it was committed (ms since the epoch). */
export interface OpRecord extends CommittedOp {
  ts: number;
}

/** A client's last committed op on a document: the exactly-once record. */
export interface ClientSeq {
  seq: number;
  version: number;
}
