import type { Log, MetadataStore, OpLog, OpRecord, SnapshotStore, StoredSnapshot } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { type AnyDocType, getDocType } from '@tandem/ot';

export interface SnapshotSources {
  snapshots: Pick<SnapshotStore, 'latest'>;
  opLog: Pick<OpLog, 'read'>;
  metadata: Pick<MetadataStore, 'snapshotState'>;
  log: Log;
}

/** One snapshot on the way to a version, and how it was reached. */
export interface SteppedSnapshot {
  snapshot: StoredSnapshot;
  /** Whether it is the stored snapshot itself (already at the version asked for). */
  stored: boolean;
  /** Ops applied to the snapshot before it to compute this one. */
  replayed: number;
}

/**
 * The snapshots of `docId` up to `version`, oldest first: starting from the newest intact
 * stored snapshot at or below `version`, one at every multiple of `everyOps` above it and one
 * at `version`, each computed from the one before plus the op log's ops in between, so that
 * however many ops were missed, no version ends up more than `everyOps` from a snapshot and
 * the op log is read from the stored snapshot on, never from the start of the history.
 *
 * When the stored snapshot is at `version` already, it is the one snapshot yielded (stored).
 * With every snapshot at or below `version` corrupt, the start is the copy of version 0 the
 * metadata store keeps, as the engine does. Nothing is yielded when the metadata store has no
 * live document with that copy: it was deleted, or its creation has not been seen yet.
 */
export async function* snapshotsUpTo(
  sources: SnapshotSources,
  docId: string,
  version: number,
  everyOps: number,
): AsyncGenerator<SteppedSnapshot> {
  let base = await sources.snapshots.latest(docId, version);
  if (!base) {
    const state = await sources.metadata.snapshotState(docId);
    if (!state?.initial) return;
    sources.log.warn({ docId, version }, 'no intact snapshot left: rebuilding from the op log');
    base = { docId, version: 0, type: state.type, data: state.initial.content };
  }
  if (base.version === version) {
    yield { snapshot: base, stored: true, replayed: 0 };
    return;
  }
  const from = base.version;
  const ops = await sources.opLog.read(docId, from + 1, version);
  if (ops.length !== version - from || ops.some((r, i) => r.version !== from + i + 1)) {
    // The event announced an op the log does not return (yet): a replica behind, or a
    // repair in progress. Retried, never written short.
    throw new TandemError('UNAVAILABLE', `Op log of ${docId} does not hold every op up to ${version} yet`, {
      retryAfterMs: 1000,
      details: { docId, from, version, read: ops.length },
    });
  }
  const type = getDocType(base.type);
  let current: StoredSnapshot = base;
  for (let next = (Math.floor(from / everyOps) + 1) * everyOps; current.version < version; next += everyOps) {
    const target = Math.min(next, version);
    const step = ops.slice(current.version - from, target - from);
    current = { docId, version: target, type: type.name, data: replay(type, current.data, step) };
    yield { snapshot: current, stored: false, replayed: step.length };
  }
}

/**
 * Applies the ops as one composed op: a text apply copies the whole document, a compose
 * only the ops (see CollabEngine's replay). The ops are copied first, since
 * ot-text-unicode's compose can assign to a component of its input.
 */
function replay(type: AnyDocType, data: unknown, ops: readonly OpRecord[]): unknown {
  const [first, ...rest] = ops;
  if (!first) return data;
  let op = structuredClone(first.op);
  for (const r of rest) op = type.compose(op, structuredClone(r.op));
  return type.apply(data, op);
}
