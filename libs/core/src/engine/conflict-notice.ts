import type { Conflict } from '@tandem/ot';
import type { CommittedOp, ConflictNotice } from '@tandem/protocol';

/**
 * The notice sent to both users of a json1 write conflict: `later` is the op just
 * committed, each `first` the op committed before it that it was transformed past.
 */
export function conflictNotice(
  docId: string,
  later: CommittedOp,
  conflicts: readonly { conflict: Conflict; first: CommittedOp }[],
): ConflictNotice {
  return {
    type: 'conflict',
    docId,
    version: later.version,
    conflicts: conflicts.map(({ conflict, first }) => ({
      kind: conflict.kind,
      description: conflict.description,
      first: { userId: first.author, clientId: first.clientId, version: first.version },
      later: { userId: later.author, clientId: later.clientId, seq: later.seq },
      kept: conflict.kept === 'op' ? 'later' : conflict.kept === 'other' ? 'first' : 'neither',
      op: conflict.op,
    })),
  };
}
