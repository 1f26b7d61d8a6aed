import { isTandemError, TandemError } from '@tandem/errors';
import {
  type AnyDocType,
  type Conflict,
  type DocTypeName,
  getDocType,
  type OpLimits,
  validateOp,
} from '@tandem/ot';
import { RESTORE_CLIENT_PREFIX } from '@tandem/protocol';
import type { DocStateStore } from '../ports/doc-state.js';
import type { EventBus, TandemEvent } from '../ports/events.js';
import type { FanOut } from '../ports/fan-out.js';
import type { MetadataStore } from '../ports/metadata.js';
import type { OpLog } from '../ports/op-log.js';
import type { ClientSeq, OpRecord } from '../ports/op-record.js';
import type { SnapshotStore, StoredSnapshot } from '../ports/snapshots.js';
import type { CollabService } from './collab-service.js';
import { conflictNotice } from './conflict-notice.js';
import { EventOutbox } from './event-outbox.js';
import { LiveDoc, type PendingSubmit, type SubmitRequest, type SubmitResult } from './live-doc.js';
import { type EngineObserver, type Log, noopObserver, silentLog } from './observer.js';

export interface CollabEngineDeps {
  state: DocStateStore;
  opLog: OpLog;
  snapshots: SnapshotStore;
  fanOut: FanOut;
  events: EventBus;
  /**
   * Where a document whose snapshots are all corrupt finds its type and the copy of its
   * version 0 to rebuild it from its op log; without it such a document cannot be opened.
   */
  metadata?: Pick<MetadataStore, 'snapshotState'>;
  log?: Log;
  observer?: EngineObserver;
  now?: () => number;
}

export interface CollabEngineOptions {
  limits?: OpLimits;
  /** Most ops committed in one batch (one state commit, one op-log write). */
  maxBatch?: number;
  /** Ops kept in memory per document for transforms and catch-up. */
  recentKept?: number;
  /** A loaded document with nothing to do for this long is unloaded. */
  idleUnloadMs?: number;
  /** Also forget an unloaded document's state (embedded mode, where the state store is this process's memory). */
  dropStateOnUnload?: boolean;
  /** Lost commit races tolerated per batch before its ops are refused as retryable. */
  maxCommitAttempts?: number;
}

type Outcome =
  | {
      kind: 'ok';
      pending: PendingSubmit;
      record: OpRecord;
      conflicts: { conflict: Conflict; first: OpRecord }[];
    }
  | { kind: 'duplicate'; pending: PendingSubmit; version: number }
  | { kind: 'error'; pending: PendingSubmit; error: unknown };

const NO_SEQ: ClientSeq = { seq: 0, version: 0 };

/**
 * The commit pipeline, the same in every mode: validate an op, transform it past the ops
 * committed since its base version, check it against the document, commit it with a
 * version check (retrying the transform on a lost race), make it durable in the op log,
 * and only then acknowledge, broadcast and emit it.
 *
 * Work on one document is serialized in the process that owns it; ops that arrive while
 * a commit is in progress are committed together as the next batch (one state commit,
 * one op-log write), which is what lets durability keep up with many editors.
 */
export class CollabEngine implements CollabService {
  private readonly docs = new Map<string, LiveDoc>();
  private readonly loading = new Map<string, Promise<LiveDoc>>();
  private readonly outbox: EventOutbox;
  private readonly log: Log;
  private readonly observer: EngineObserver;
  private readonly now: () => number;
  private readonly limits: OpLimits | undefined;
  private readonly maxBatch: number;
  private readonly recentKept: number;
  private readonly idleUnloadMs: number;
  private readonly maxCommitAttempts: number;
  private readonly unloadTimer: ReturnType<typeof setInterval>;

  constructor(
    private readonly deps: CollabEngineDeps,
    private readonly options: CollabEngineOptions = {},
  ) {
    this.log = deps.log ?? silentLog;
    this.observer = deps.observer ?? noopObserver;
    this.now = deps.now ?? Date.now;
    this.limits = options.limits;
    this.maxBatch = options.maxBatch ?? 256;
    this.recentKept = options.recentKept ?? 1000;
    this.idleUnloadMs = options.idleUnloadMs ?? 10 * 60_000;
    this.maxCommitAttempts = options.maxCommitAttempts ?? 5;
    this.outbox = new EventOutbox(deps.events, this.log, this.observer);
    this.unloadTimer = setInterval(() => this.unloadIdle(), Math.min(60_000, this.idleUnloadMs));
    this.unloadTimer.unref?.();
  }

  /** Stores version 0 of a new document. Throws SNAPSHOT_INVALID or UNKNOWN_DOC_TYPE. */
  async initDocument(docId: string, typeName: DocTypeName, initial?: unknown): Promise<void> {
    const type = getDocType(typeName);
    const data = type.create(initial);
    await this.deps.snapshots.put({ docId, version: 0, type: type.name, data });
  }

  /** The document's type, committed version and content, loading it if needed. */
  async open(docId: string): Promise<{ type: DocTypeName; version: number; snapshot: unknown }> {
    const doc = await this.load(docId);
    return { type: doc.type.name, version: doc.version, snapshot: doc.snapshot };
  }

  async typeOf(docId: string): Promise<AnyDocType> {
    return (await this.load(docId)).type;
  }

  /**
   * Committed ops with after < version <= to (default: the latest). Throws VERSION_FUTURE
   * when `after` or `to` is above the current version: the caller claims a version the
   * document does not have (a rejoin, a fetch or a cursor from the future).
   */
  async opsSince(docId: string, after: number, to?: number): Promise<OpRecord[]> {
    const doc = await this.fresh(await this.load(docId), Math.max(after, to ?? 0));
    const last = to ?? doc.version;
    if (last > doc.version || after > doc.version)
      throw new TandemError('VERSION_FUTURE', `Document ${docId} is at version ${doc.version}`);
    if (after >= last) return [];
    const inMemory = doc.opsAfter(after);
    if (inMemory) return inMemory.slice(0, last - after);
    return this.deps.opLog.read(docId, after + 1, last);
  }

  /** The content at `version`: the nearest snapshot at or below it plus the ops after that. */
  async contentAt(docId: string, version: number): Promise<unknown> {
    const doc = await this.fresh(await this.load(docId), version);
    if (version > doc.version)
      throw new TandemError('VERSION_FUTURE', `Document ${docId} is at version ${doc.version}`);
    if (version === doc.version) return doc.snapshot;
    const base = await this.snapshotAtOrBelow(docId, version);
    const ops = await this.deps.opLog.read(docId, base.version + 1, version);
    return replay(doc.type, base.data, ops);
  }

  /**
   * Commits an op. Resolves once it is durable; rejects with a TandemError that says
   * whether a retry may succeed.
   */
  async submit(req: SubmitRequest): Promise<SubmitResult> {
    const doc = await this.load(req.docId);
    doc.lastUsed = this.now();
    return new Promise<SubmitResult>((resolve, reject) => {
      doc.queue.push({ req, arrivedAt: this.now(), resolve, reject });
      if (!doc.draining) void this.drain(doc);
    });
  }

  /**
   * Restores the content of `targetVersion` as a new op through the same pipeline, so
   * every editor sees it at once and it can itself be undone by another restore.
   */
  async restore(docId: string, targetVersion: number, userId: string): Promise<SubmitResult> {
    const doc = await this.load(docId);
    const target = await this.contentAt(docId, targetVersion);
    const baseVersion = doc.version;
    const op = doc.type.diff(doc.snapshot, target);
    const result = await this.submit({
      docId,
      userId,
      clientId: `${RESTORE_CLIENT_PREFIX}${this.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
      seq: 1,
      baseVersion,
      op,
    });
    this.outbox.push([
      { type: 'doc.restored', docId, targetVersion, version: result.version, userId, at: this.now() },
    ]);
    return result;
  }

  /** Emits lifecycle events (created, renamed, …) through the same ordered outbox as op events. */
  emit(events: readonly TandemEvent[]): void {
    this.outbox.push(events);
  }

  /** Unloads a deleted document and tells its gateways. */
  async forget(docId: string): Promise<void> {
    this.docs.delete(docId);
    if (this.options.dropStateOnUnload) await this.deps.state.drop(docId);
    await this.deps.fanOut.publish(docId, { kind: 'deleted' });
  }

  /**
   * Unloads the documents `keep` rejects that have no work in progress: in distributed
   * mode another worker owns them now, and a copy kept here would go stale while it
   * commits. (A stale copy could not fork the document, since every commit checks the
   * state store's head, but it would answer reads with an old version.)
   */
  release(keep: (docId: string) => boolean): void {
    for (const doc of this.docs.values()) {
      if (!keep(doc.id) && !doc.draining && doc.queue.length === 0) this.docs.delete(doc.id);
    }
    this.observer.liveDocs(this.docs.size);
  }

  /**
   * A read that asks for a version past the loaded copy's may be right: another process
   * committed it (the document moved here and back). Reloads the copy, if it is idle and
   * the state store is ahead, instead of answering VERSION_FUTURE from stale memory.
   */
  private async fresh(doc: LiveDoc, wanted: number): Promise<LiveDoc> {
    if (wanted <= doc.version || doc.draining || doc.queue.length > 0) return doc;
    const head = await this.deps.state.head(doc.id);
    if (head === null || head <= doc.version || this.docs.get(doc.id) !== doc) return doc;
    this.docs.delete(doc.id);
    return this.load(doc.id);
  }

  get loadedDocuments(): number {
    return this.docs.size;
  }

  /** Waits for queued ops and events, then stops the timers (graceful shutdown). */
  async close(): Promise<void> {
    clearInterval(this.unloadTimer);
    await Promise.all([...this.docs.values()].map((doc) => this.idle(doc)));
    await this.outbox.drain();
    this.outbox.close();
  }

  private async idle(doc: LiveDoc): Promise<void> {
    while (doc.draining || doc.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  private unloadIdle(): void {
    const cutoff = this.now() - this.idleUnloadMs;
    for (const doc of this.docs.values()) {
      if (doc.lastUsed < cutoff && !doc.draining && doc.queue.length === 0) {
        this.docs.delete(doc.id);
        if (this.options.dropStateOnUnload) void this.deps.state.drop(doc.id);
      }
    }
    this.observer.liveDocs(this.docs.size);
  }

  private load(docId: string): Promise<LiveDoc> {
    const live = this.docs.get(docId);
    if (live) return Promise.resolve(live);
    let loading = this.loading.get(docId);
    if (!loading) {
      loading = this.loadFromStores(docId).finally(() => this.loading.delete(docId));
      this.loading.set(docId, loading);
    }
    return loading;
  }

  /** Latest snapshot plus the op log's tail, then the state store seeded (or repaired) to match. */
  private async loadFromStores(docId: string): Promise<LiveDoc> {
    const base = await this.snapshotAtOrBelow(docId);
    const type = getDocType(base.type);
    const tail = await this.deps.opLog.read(docId, base.version + 1);
    tail.forEach((r, i) => {
      if (r.version !== base.version + i + 1)
        throw new TandemError('INTERNAL', `Op log of ${docId} has a gap at ${r.version}`);
    });
    const snapshot = replay(type, base.data, tail);
    const version = base.version + tail.length;
    const doc = new LiveDoc(docId, type, snapshot, version, tail.slice(-this.recentKept), this.recentKept);
    for (const r of tail) doc.seqs.set(r.clientId, { seq: r.seq, version: r.version });
    await this.syncWithState(doc);
    this.docs.set(docId, doc);
    this.observer.liveDocs(this.docs.size);
    return doc;
  }

  /**
   * The newest intact snapshot at or below `maxVersion` (the store skips corrupt ones). With
   * none left, the document is rebuilt from its op log from version 0, whose content the
   * metadata store keeps a copy of once the snapshot service has seen the document created:
   * until then (a creation still writing version 0, say) it is not found, rather than
   * loaded as an empty document.
   */
  private async snapshotAtOrBelow(docId: string, maxVersion?: number): Promise<StoredSnapshot> {
    const stored = await this.deps.snapshots.latest(docId, maxVersion);
    if (stored) return stored;
    const state = await this.deps.metadata?.snapshotState(docId);
    if (!state?.initial) {
      throw new TandemError(
        'DOC_NOT_FOUND',
        maxVersion === undefined
          ? `No document ${docId}`
          : `Document ${docId} has no content at or below ${maxVersion}`,
      );
    }
    this.log.error({ docId, maxVersion }, 'no intact snapshot left: rebuilding the document from its op log');
    return { docId, version: 0, type: getDocType(state.type).name, data: state.initial.content };
  }

  /**
   * Brings the loaded document up to the state store's head. A head the store has lost is
   * seeded again from the op log; ops another process committed are applied; and ops
   * committed in the state store but missing from the op log (a committer that failed
   * between the two writes) are written to the op log first, then broadcast, since nobody
   * could have acknowledged them.
   */
  private async syncWithState(doc: LiveDoc): Promise<void> {
    let head = await this.deps.state.head(doc.id);
    if (head === null || head < doc.version) {
      // The state store lost the document, or came back from a backup older than the
      // durable log: the op log is the truth, so the store is seeded from it again. This
      // copy may itself be behind the log (another worker committed while it owned the
      // document): seeding from it would let the next commit reuse a stored version.
      const durable = await this.deps.opLog.latestVersion(doc.id);
      if (durable > doc.version) {
        const newer = await this.deps.opLog.read(doc.id, doc.version + 1, durable);
        let snapshot = doc.snapshot;
        for (const r of newer) snapshot = doc.type.apply(snapshot, r.op);
        doc.advance(snapshot, newer);
      }
      await this.deps.state.seed(doc.id, doc.version, doc.recent, doc.seqs);
      head = (await this.deps.state.head(doc.id)) ?? doc.version;
    }
    if (head <= doc.version) return;
    const missing =
      (await this.deps.state.since(doc.id, doc.version)) ??
      (await this.deps.opLog.read(doc.id, doc.version + 1, head));
    if (missing.length !== head - doc.version) {
      throw new TandemError('UNAVAILABLE', `Ops ${doc.version + 1}..${head} of ${doc.id} are in no store`, {
        retryAfterMs: 1000,
      });
    }
    const durable = await this.deps.opLog.latestVersion(doc.id);
    const repaired = missing.filter((r) => r.version > durable);
    if (repaired.length > 0) {
      await this.deps.opLog.append(doc.id, repaired);
      this.log.warn({ docId: doc.id, from: repaired[0]?.version, count: repaired.length }, 'repaired op log');
    }
    let snapshot = doc.snapshot;
    for (const r of missing) snapshot = doc.type.apply(snapshot, r.op);
    doc.advance(snapshot, missing);
    await this.announce(
      doc,
      repaired.map((record) => ({ record, conflicts: [] })),
    );
  }

  private async drain(doc: LiveDoc): Promise<void> {
    doc.draining = true;
    try {
      while (doc.queue.length > 0) {
        const batch = doc.queue.splice(0, this.maxBatch);
        try {
          await this.commitBatch(doc, batch);
        } catch (err) {
          const error = isTandemError(err)
            ? err
            : new TandemError('UNAVAILABLE', 'The op could not be stored; retry', {
                retryAfterMs: 1000,
                cause: err,
              });
          this.log.error({ err, docId: doc.id, ops: batch.length }, 'commit failed');
          for (const p of batch) p.reject(error);
          this.observer.opRefused(error.code);
        }
      }
    } finally {
      doc.draining = false;
      doc.lastUsed = this.now();
    }
  }

  private async commitBatch(doc: LiveDoc, batch: PendingSubmit[]): Promise<void> {
    // The state store's head is not read before every batch: the commit's version check finds
    // a head that moved past this copy (another process committed, or a commit here failed
    // before reaching the op log), and the next attempt catches up. Two cases cannot wait for
    // that check. At version 0 a store that lost the document would accept the commit. And a
    // batch with nothing to commit has nothing to check, while its answers may rest on what
    // the copy has not seen: a refusal (an op based on a version it lacks, a seq it does not
    // know was committed) makes the client drop its pending edits, and a duplicate committed
    // past the copy may not be in the op log yet. Those answers wait for a copy that caught up.
    let catchUp = doc.version === 0;
    for (let attempt = 1; ; attempt++) {
      if (catchUp) await this.syncWithState(doc);
      const { outcomes, records, snapshot } = await this.prepare(doc, batch);
      if (!catchUp && outcomes.some((o) => restsOnUnseen(o, doc.version))) {
        catchUp = true;
        continue;
      }
      if (records.length > 0) {
        const committed = await this.deps.state.commit(doc.id, doc.version, records);
        if (!committed.ok) {
          // Another process committed first (ownership moved while this one still acted
          // on it): catch up and transform the batch again.
          if (attempt >= this.maxCommitAttempts) {
            throw new TandemError('UNAVAILABLE', 'The document is busy; retry', { retryAfterMs: 200 });
          }
          catchUp = true;
          continue;
        }
        await this.deps.opLog.append(doc.id, records);
        doc.advance(snapshot, records);
      }
      const oks = outcomes.filter((o) => o.kind === 'ok');
      await this.announce(doc, oks);
      const started = Math.min(...batch.map((p) => p.arrivedAt));
      if (records.length > 0) this.observer.batchCommitted(records.length, (this.now() - started) / 1000);
      for (const o of outcomes) {
        if (o.kind === 'ok') o.pending.resolve({ version: o.record.version, duplicate: false });
        else if (o.kind === 'duplicate') o.pending.resolve({ version: o.version, duplicate: true });
        else {
          o.pending.reject(o.error);
          this.observer.opRefused(isTandemError(o.error) ? o.error.code : 'INTERNAL');
        }
      }
      return;
    }
  }

  /** Transforms and checks every op of the batch against the document and each other, without committing. */
  private async prepare(doc: LiveDoc, batch: PendingSubmit[]) {
    const outcomes: Outcome[] = [];
    const records: OpRecord[] = [];
    const batchSeqs = new Map<string, ClientSeq>();
    let snapshot = doc.snapshot;
    let version = doc.version;
    for (const pending of batch) {
      const { req } = pending;
      try {
        const last = batchSeqs.get(req.clientId) ?? (await this.lastSeq(doc, req.clientId));
        if (req.seq <= last.seq) {
          // An older seq may be a committed op sent again after the client moved on: a router's
          // retry whose first answer was lost while the ack reached the client in the broadcast.
          const committed =
            req.seq === last.seq
              ? last.version
              : (committedAt(records, req.clientId, req.seq) ??
                committedAt(doc.recent, req.clientId, req.seq));
          if (committed === undefined) throw new TandemError('OP_INVALID', `seq ${req.seq} was used before`);
          outcomes.push({ kind: 'duplicate', pending, version: committed });
          continue;
        }
        if (req.baseVersion > version) {
          throw new TandemError('VERSION_FUTURE', `Document ${doc.id} is at version ${version}`);
        }
        let op = validateOp(doc.type, req.op, undefined, this.limits);
        const past = [...(await this.committedAfter(doc, req.baseVersion)), ...records];
        const conflicts: { conflict: Conflict; first: OpRecord }[] = [];
        for (const first of past) {
          const result = doc.type.transformWithConflicts(op, first.op, 'right');
          op = result.op;
          for (const conflict of result.conflicts) conflicts.push({ conflict, first });
        }
        doc.type.checkOpAgainst(op, snapshot);
        snapshot = doc.type.apply(snapshot, op);
        version += 1;
        const record: OpRecord = {
          version,
          op,
          author: req.userId,
          clientId: req.clientId,
          seq: req.seq,
          ts: this.now(),
        };
        records.push(record);
        batchSeqs.set(req.clientId, { seq: req.seq, version });
        outcomes.push({ kind: 'ok', pending, record, conflicts });
      } catch (error) {
        outcomes.push({ kind: 'error', pending, error });
      }
    }
    return { outcomes, records, snapshot };
  }

  private async committedAfter(doc: LiveDoc, after: number): Promise<OpRecord[]> {
    return doc.opsAfter(after) ?? (await this.deps.opLog.read(doc.id, after + 1, doc.version));
  }

  /** A client's last committed seq: from memory, else the state store, else the op log. */
  private async lastSeq(doc: LiveDoc, clientId: string): Promise<ClientSeq> {
    const known = doc.seqs.get(clientId);
    if (known) return known;
    const found =
      (await this.deps.state.lastOfClient(doc.id, clientId)) ??
      (await this.deps.opLog.lastOfClient(doc.id, clientId)) ??
      NO_SEQ;
    doc.seqs.set(clientId, found);
    return found;
  }

  /** Broadcasts durable ops in version order with their conflict notices, and queues their events. */
  private async announce(
    doc: LiveDoc,
    committed: {
      record: OpRecord;
      conflicts: { conflict: Conflict; first: OpRecord }[];
      pending?: PendingSubmit;
    }[],
  ): Promise<void> {
    if (committed.length === 0) return;
    const sends: Promise<void>[] = [];
    const events: TandemEvent[] = [];
    for (const { record, conflicts, pending } of committed) {
      const origin = pending?.req.origin;
      sends.push(this.deps.fanOut.publish(doc.id, { kind: 'op', record, ...(origin ? { origin } : {}) }));
      if (conflicts.length > 0) {
        sends.push(
          this.deps.fanOut.publish(doc.id, {
            kind: 'conflict',
            notice: conflictNotice(doc.id, record, conflicts),
          }),
        );
      }
      events.push({ type: 'op.committed', docId: doc.id, docType: doc.type.name, record });
    }
    this.outbox.push(events);
    // The ops are durable already: a broadcast that fails only delays other clients until
    // they notice the gap and fetch, so it must not fail the commit.
    const results = await Promise.allSettled(sends);
    for (const r of results)
      if (r.status === 'rejected') this.log.warn({ err: r.reason, docId: doc.id }, 'broadcast failed');
  }
}

/**
 * The snapshot after `ops`, applied as one composed op. Applying costs the document's size
 * per op (a text apply copies the string) while composing costs only the ops' size, so a
 * tail of 100 ops on a document of a million characters costs one copy instead of 100
 * (docs/benchmarks.md). The ops are copied first: ot-text-unicode's compose merges
 * adjacent deletes by assigning to a component it took from its input.
 */
function replay(type: AnyDocType, snapshot: unknown, ops: readonly OpRecord[]): unknown {
  const [first, ...rest] = ops;
  if (!first) return snapshot;
  let op = structuredClone(first.op);
  for (const r of rest) op = type.compose(op, structuredClone(r.op));
  return type.apply(snapshot, op);
}

/** An answer that a copy behind the state store could get wrong (see commitBatch). */
function restsOnUnseen(outcome: Outcome, version: number): boolean {
  return outcome.kind === 'error' || (outcome.kind === 'duplicate' && outcome.version > version);
}

/** The version at which `clientId` committed `seq`, if it is among `ops`. */
function committedAt(ops: readonly OpRecord[], clientId: string, seq: number): number | undefined {
  return ops.findLast((r) => r.clientId === clientId && r.seq === seq)?.version;
}
