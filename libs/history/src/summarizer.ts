import {
  type EventBus,
  eachDocument,
  gridDelayMs,
  type HistoryEntry,
  type HistoryStore,
  KeyedQueue,
  type Log,
  type MetadataStore,
  type OpLog,
  type OpRecord,
  retryDelayMs,
  type TandemEvent,
} from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { Registry } from '@tandem/metrics';
import { type DocTypeName, getDocType, type OpExtent } from '@tandem/ot';
import { RESTORE_CLIENT_PREFIX } from '@tandem/protocol';
import { historyMetrics } from './metrics.js';

export interface HistorySummarizerDeps {
  events: EventBus;
  store: HistoryStore;
  /** Where ops missed by the events (downtime, another summarizer's buffer) are read from. */
  opLog: Pick<OpLog, 'read' | 'latestVersion'>;
  /** The documents to check when starting, and their types. */
  metadata: Pick<MetadataStore, 'get' | 'snapshotVersions'>;
  log: Log;
  registry?: Registry;
  /** A user's next op after this long without one starts a new session (default 5 minutes). */
  sessionGapMs?: number;
  /**
   * How long a document's new entries wait in memory at least before they are written (default
   * 1 s); they are written at the next multiple of it, with every other document's, so within twice this.
   */
  flushMs?: number;
  /** Whether to look, when starting, for documents whose op log is ahead of their history (default true). */
  catchUp?: boolean;
  now?: () => number;
}

export interface HistorySummarizer {
  /** Resolves when the start-up check has gone through every document. */
  readonly caughtUp: Promise<void>;
  /** Writes every entry waiting in memory now, and waits for all work in progress. */
  flush(): Promise<void>;
  /** Stops consuming events and writes what is waiting. */
  stop(): Promise<void>;
}

/** The consumer group: one summarizer per deployment gets each event. */
export const HISTORY_GROUP = 'history';

/** The paths an entry keeps: enough to say where, not a log of every change. */
const MAX_PATHS = 5;
/** Ops read from the op log per request when filling a gap. */
const FILL_PAGE = 10_000;
/** Documents per page of the start-up check. */
const CATCH_UP_PAGE = 200;
/** A document's state leaves memory after this long without events. */
const IDLE_MS = 60_000;

/** A document's timeline as the summarizer holds it. */
interface DocHistory {
  type: DocTypeName;
  /** The newest version summarized here. */
  version: number;
  /** The newest version the store holds: what the next save expects. */
  saved: number;
  /** Each user's newest entry. */
  latest: Map<string, HistoryEntry>;
  /** Entries changed since the last save, by fromVersion. */
  dirty: Map<number, HistoryEntry>;
  timer: ReturnType<typeof setTimeout> | undefined;
  failures: number;
  lastUsed: number;
}

/**
 * Turns the document events into timelines: the creation, one entry per session of a user's
 * ops (a new one after `sessionGapMs` without an op of theirs) and one per restore.
 *
 * Entries are built in memory and written per document every `flushMs` (on a grid, so that the
 * documents' saves fall in one turn and a SQL store writes them together), in one save checked
 * against the version the store held when they were loaded. Nothing depends on the events
 * being complete: an op whose version is more than one past the document's summarized
 * version first has the ops in between read from the op log, so events lost with a crash
 * before a save (their offsets committed, their entries not written) are made up for by the
 * document's next event or the start-up check. An event at or below the summarized version
 * is skipped, so redelivery counts nothing twice, and a save refused because another
 * summarizer wrote the document meanwhile (a Kafka rebalance) reloads it from the store.
 */
export function startHistorySummarizer(deps: HistorySummarizerDeps): HistorySummarizer {
  const { store, opLog, metadata, log } = deps;
  const gapMs = deps.sessionGapMs ?? 5 * 60_000;
  const flushMs = deps.flushMs ?? 1_000;
  if (!(gapMs > 0) || !(flushMs >= 0)) {
    throw new TandemError('CONFIG_INVALID', 'sessionGapMs must be positive and flushMs at least 0', {
      details: { sessionGapMs: gapMs, flushMs },
    });
  }
  const now = deps.now ?? Date.now;
  const metrics = historyMetrics(deps.registry ?? new Registry());
  const docs = new Map<string, DocHistory>();
  const queue = new KeyedQueue();
  let stopped = false;
  let wake: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    wake = resolve;
  });

  async function load(docId: string, type: DocTypeName): Promise<DocHistory> {
    const cached = docs.get(docId);
    if (cached) {
      cached.lastUsed = now();
      return cached;
    }
    const state = await store.state(docId);
    const doc: DocHistory = {
      type,
      version: state.version,
      saved: state.version,
      latest: new Map(state.latest.map((e) => [e.userId, e])),
      dirty: new Map(),
      timer: undefined,
      failures: 0,
      lastUsed: now(),
    };
    docs.set(docId, doc);
    return doc;
  }

  function changed(doc: DocHistory, entry: HistoryEntry): void {
    doc.latest.set(entry.userId, entry);
    doc.dirty.set(entry.fromVersion, entry);
    doc.version = Math.max(doc.version, entry.toVersion);
  }

  /** Adds one op to its author's session, or starts one (every restore is an entry of its own). */
  function absorb(docId: string, doc: DocHistory, record: OpRecord): void {
    const extent = getDocType(doc.type).extent(record.op);
    const restore = record.clientId.startsWith(RESTORE_CLIENT_PREFIX);
    const last = doc.latest.get(record.author);
    if (!restore && last?.kind === 'edit' && record.ts - last.endedAt <= gapMs) {
      changed(doc, extend(last, record, extent));
    } else {
      changed(doc, {
        docId,
        fromVersion: record.version,
        toVersion: record.version,
        kind: restore ? 'restore' : 'edit',
        userId: record.author,
        startedAt: record.ts,
        endedAt: record.ts,
        ops: 1,
        inserted: extent.inserted,
        deleted: extent.deleted,
        formatted: extent.formatted,
        span: extent.span,
        paths: extent.paths.slice(0, MAX_PATHS),
        restoredVersion: null,
      });
    }
  }

  /** Summarizes the op log's ops after the document's summarized version, up to `version`. */
  async function fill(docId: string, doc: DocHistory, version: number): Promise<void> {
    // Version 0 is the creation, never an op: a history without it starts at 1.
    while (Math.max(doc.version, 0) < version) {
      const from = Math.max(doc.version, 0) + 1;
      const to = Math.min(version, from + FILL_PAGE - 1);
      const ops = await opLog.read(docId, from, to);
      if (ops.length !== to - from + 1 || ops.some((r, i) => r.version !== from + i)) {
        // An event announced an op the log does not return yet (a replica behind): retried.
        throw new TandemError('UNAVAILABLE', `Op log of ${docId} does not hold every op up to ${to} yet`, {
          retryAfterMs: 1000,
          details: { docId, from, to, read: ops.length },
        });
      }
      metrics.filled(ops.length);
      for (const r of ops) absorb(docId, doc, r);
    }
  }

  /**
   * Saves the document once `delayMs` has passed, at the next multiple of `flushMs`: every
   * document's save then falls in the same turn of the event loop, and a SQL store writes
   * them all in one statement instead of one per document.
   */
  function schedule(docId: string, doc: DocHistory, delayMs: number): void {
    if (stopped || doc.timer || doc.dirty.size === 0) return;
    doc.timer = setTimeout(() => void save(docId), gridDelayMs(delayMs, flushMs));
    doc.timer.unref?.();
  }

  /** Writes the document's changed entries; reloads it when another summarizer wrote it meanwhile. */
  function save(docId: string): Promise<void> {
    const pending = docs.get(docId);
    if (pending) {
      clearTimeout(pending.timer);
      pending.timer = undefined;
    }
    return queue
      .run(docId, async () => {
        const doc = docs.get(docId);
        if (!doc || doc.dirty.size === 0) return;
        const entries = [...doc.dirty.values()];
        if (await store.save(docId, entries, doc.saved)) {
          doc.saved = doc.version;
          doc.dirty.clear();
          doc.failures = 0;
          metrics.saved(entries.length);
          return;
        }
        log.warn(
          { docId, expected: doc.saved },
          'history written by another summarizer meanwhile: reloading',
        );
        metrics.conflict();
        docs.delete(docId);
        const fresh = await load(docId, doc.type);
        await fill(docId, fresh, doc.version);
        schedule(docId, fresh, 0);
      })
      .catch((err: unknown) => {
        const doc = docs.get(docId);
        if (!doc) return;
        doc.failures += 1;
        const delayMs = retryDelayMs(doc.failures);
        log.warn(
          { err, docId, attempt: doc.failures, retryInMs: delayMs },
          'saving history failed; will retry',
        );
        metrics.failed();
        schedule(docId, doc, delayMs);
      });
  }

  async function onOp(docId: string, type: DocTypeName, record: OpRecord): Promise<void> {
    await queue.run(docId, async () => {
      const doc = await load(docId, type);
      if (record.version <= doc.version) return;
      await fill(docId, doc, record.version - 1);
      absorb(docId, doc, record);
      metrics.summarized(Math.max(0, now() - record.ts) / 1000);
      schedule(docId, doc, flushMs);
    });
  }

  async function onCreated(event: Extract<TandemEvent, { type: 'doc.created' }>): Promise<void> {
    await queue.run(event.docId, async () => {
      const doc = await load(event.docId, event.docType);
      if (doc.version >= 0) return;
      changed(doc, {
        docId: event.docId,
        fromVersion: 0,
        toVersion: 0,
        kind: 'created',
        userId: event.ownerId,
        startedAt: event.at,
        endedAt: event.at,
        ops: 0,
        inserted: 0,
        deleted: 0,
        formatted: 0,
        span: null,
        paths: [],
        restoredVersion: null,
      });
      schedule(event.docId, doc, flushMs);
    });
  }

  /** Names the version a restore brought back on its entry, which its op made. */
  async function onRestored(event: Extract<TandemEvent, { type: 'doc.restored' }>): Promise<void> {
    await queue.run(event.docId, async () => {
      const meta = docs.get(event.docId) ? null : await metadata.get(event.docId);
      const type = docs.get(event.docId)?.type ?? meta?.type;
      if (!type) return; // deleted since
      const doc = await load(event.docId, type);
      await fill(event.docId, doc, event.version);
      const entry =
        doc.dirty.get(event.version) ??
        [...doc.latest.values()].find((e) => e.fromVersion === event.version) ??
        (await store.get(event.docId, event.version));
      if (entry?.kind !== 'restore' || entry.restoredVersion === event.targetVersion) return;
      changed(doc, { ...entry, restoredVersion: event.targetVersion });
      schedule(event.docId, doc, flushMs);
    });
  }

  async function onDeleted(docId: string): Promise<void> {
    await queue.run(docId, async () => {
      clearTimeout(docs.get(docId)?.timer);
      docs.delete(docId);
      await store.purge(docId);
    });
  }

  async function handle(event: TandemEvent): Promise<void> {
    switch (event.type) {
      case 'op.committed':
        return onOp(event.docId, event.docType, event.record);
      case 'doc.created':
        return onCreated(event);
      case 'doc.restored':
        return onRestored(event);
      case 'doc.deleted':
        return onDeleted(event.docId);
      case 'doc.renamed':
      case 'doc.permissions':
        return;
    }
  }

  /** Summarizes what each document's op log holds beyond its history: ops whose events are gone. */
  function catchUp(): Promise<void> {
    return eachDocument(
      (after) =>
        metadata.snapshotVersions({ limit: CATCH_UP_PAGE, ...(after === undefined ? {} : { after }) }),
      ({ docId }) => catchUpDoc(docId),
      {
        stopped: () => stopped,
        stopping,
        log,
        itemFailed: 'could not catch up on the history of a document',
      },
    );
  }

  async function catchUpDoc(docId: string): Promise<void> {
    const head = await opLog.latestVersion(docId);
    const known = docs.get(docId)?.version ?? (await store.state(docId)).version;
    if (head <= known) return;
    const meta = await metadata.get(docId);
    if (!meta) return;
    await queue.run(docId, async () => {
      const doc = await load(docId, meta.type);
      await fill(docId, doc, head);
    });
    await save(docId);
  }

  /** Lets documents nobody edits any more leave memory; their sessions reload from the store. */
  const sweeper = setInterval(() => {
    const idle = now() - IDLE_MS;
    for (const [docId, doc] of docs) {
      if (doc.dirty.size === 0 && !doc.timer && doc.lastUsed < idle && !queue.busy(docId)) docs.delete(docId);
    }
  }, IDLE_MS);
  sweeper.unref?.();

  const unsubscribe = deps.events.subscribe(HISTORY_GROUP, handle);
  const caughtUp = deps.catchUp === false ? Promise.resolve() : catchUp();

  async function flush(): Promise<void> {
    await queue.idle();
    await Promise.all([...docs.keys()].map((docId) => save(docId)));
  }

  return {
    caughtUp,
    flush,
    async stop() {
      stopped = true;
      wake();
      clearInterval(sweeper);
      await unsubscribe();
      await caughtUp;
      await flush();
    },
  };
}

/** The session `last` with one more op of its user. */
function extend(last: HistoryEntry, record: OpRecord, extent: OpExtent): HistoryEntry {
  const paths = [...last.paths];
  for (const p of extent.paths) {
    if (paths.length >= MAX_PATHS) break;
    if (!paths.some((q) => q.length === p.length && q.every((k, i) => k === p[i]))) paths.push(p);
  }
  const span =
    last.span && extent.span
      ? { start: Math.min(last.span.start, extent.span.start), end: Math.max(last.span.end, extent.span.end) }
      : (last.span ?? extent.span);
  return {
    ...last,
    toVersion: record.version,
    endedAt: record.ts,
    ops: last.ops + 1,
    inserted: last.inserted + extent.inserted,
    deleted: last.deleted + extent.deleted,
    formatted: last.formatted + extent.formatted,
    span,
    paths,
  };
}
