import {
  type EventBus,
  eachDocument,
  KeyedQueue,
  type Log,
  type MetadataStore,
  type OpLog,
  retryDelayMs,
  type SnapshotStore,
  type TandemEvent,
} from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { Registry } from '@tandem/metrics';
import { type SnapshotReason, snapshotterMetrics } from './metrics.js';
import { snapshotsUpTo } from './snapshot-at.js';

export interface SnapshotterDeps {
  events: EventBus;
  snapshots: SnapshotStore;
  opLog: Pick<OpLog, 'read' | 'latestVersion'>;
  metadata: Pick<
    MetadataStore,
    'snapshotState' | 'setLatestSnapshot' | 'setInitialContent' | 'snapshotVersions'
  >;
  log: Log;
  /** Where the snapshotter's metrics go (tandem_snapshot*); none when unset. */
  registry?: Registry;
  /**
   * A snapshot at every version that is a multiple of this (default 100), so that the
   * content at any version is at most this many ops from a stored snapshot.
   */
  everyOps?: number;
  /**
   * A document whose newest op has waited this long for a snapshot (default 5 minutes) gets
   * one at its newest version, so a document that stops short of its next multiple of
   * `everyOps` does not leave its latest edits to be replayed on every open.
   */
  afterMs?: number;
  /**
   * Whether to look, when starting, for documents with ops in no snapshot (default true): the
   * events of what was edited while no snapshotter ran are gone in embedded mode (the bus is
   * in memory) and the time-based snapshots it had pending are gone in any mode.
   */
  catchUp?: boolean;
  now?: () => number;
}

export interface Snapshotter {
  /** Resolves when the start-up check has gone through every document (at once without catchUp). */
  readonly caughtUp: Promise<void>;
  /** Writes every snapshot that is waiting for its time now, and waits for all work in progress. */
  flush(): Promise<void>;
  /**
   * Stops consuming events and waits for the work in progress. Time-based snapshots still
   * waiting are not written: the next start's check writes them.
   */
  stop(): Promise<void>;
}

/** The consumer group: one snapshotter per deployment gets each event. */
export const SNAPSHOTTER_GROUP = 'snapshotter';

/** Documents per page of the start-up check. */
const CATCH_UP_PAGE = 200;

/** A document with ops in no snapshot yet. */
interface Pending {
  /** The newest version an event announced. */
  head: number;
  /** The newest version known to be in a snapshot; -1 when not known. */
  written: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  failures: number;
}

/**
 * Keeps a snapshot of every document at most `everyOps` ops behind, from the event stream,
 * so that opening a document reads one snapshot and a short tail of the op log.
 *
 * Each snapshot is computed from the newest stored snapshot at or below its version plus the
 * ops after that one (see snapshotsUpTo; snapshots missed on the way, at multiples of
 * `everyOps`, are filled in), stored with the store's checksum, and recorded in the metadata
 * store. Handling is idempotent: the snapshot of a (document, version) is always the same
 * content, and an event at or below the recorded version is skipped. A snapshot due at a multiple
 * of `everyOps` is written before its event counts as handled, so a failure leaves the event
 * to be delivered again (and, on Kafka, its offset uncommitted); one due by time is retried
 * with a growing pause. doc.deleted purges the document's snapshots.
 *
 * Work on one document runs one step at a time, in order, so a purge cannot be overtaken by a
 * snapshot write of the same document.
 */
export function startSnapshotter(deps: SnapshotterDeps): Snapshotter {
  const { snapshots, opLog, metadata, log } = deps;
  const everyOps = deps.everyOps ?? 100;
  const afterMs = deps.afterMs ?? 5 * 60_000;
  if (!Number.isSafeInteger(everyOps) || everyOps < 1 || !(afterMs >= 0)) {
    throw new TandemError('CONFIG_INVALID', 'everyOps must be a positive integer and afterMs at least 0', {
      details: { everyOps, afterMs },
    });
  }
  const now = deps.now ?? Date.now;
  const sources = { snapshots, opLog, metadata, log };
  const metrics = snapshotterMetrics(deps.registry ?? new Registry());
  const pending = new Map<string, Pending>();
  const work = new KeyedQueue();
  let stopped = false;
  let wake: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    wake = resolve;
  });

  function forget(docId: string): void {
    clearTimeout(pending.get(docId)?.timer);
    pending.delete(docId);
    metrics.pendingDocuments(pending.size);
  }

  /** Drops the document's entry once every op it announced is in a snapshot. */
  function settle(docId: string): void {
    const doc = pending.get(docId);
    if (doc && doc.head <= doc.written) forget(docId);
  }

  /**
   * Stores the snapshot at `version`, and those at the multiples of `everyOps` on the way
   * there from the newest stored one (see snapshotsUpTo), recording each.
   */
  async function write(docId: string, version: number, reason: SnapshotReason): Promise<void> {
    let found = false;
    try {
      let started = now();
      for await (const step of snapshotsUpTo(sources, docId, version, everyOps)) {
        found = true;
        if (!step.stored) await snapshots.put(step.snapshot);
        await metadata.setLatestSnapshot(docId, step.snapshot.version);
        if (!step.stored) metrics.written(reason, (now() - started) / 1000, step.replayed);
        started = now();
        const doc = pending.get(docId);
        if (doc) doc.written = Math.max(doc.written, step.snapshot.version);
      }
    } catch (err) {
      metrics.failed();
      throw err;
    }
    if (!found) {
      // Deleted, or not created yet: either way there is nothing to snapshot.
      forget(docId);
      return;
    }
    const doc = pending.get(docId);
    if (doc) doc.failures = 0;
    settle(docId);
  }

  /**
   * Copies version 0 into the metadata store, the base of a rebuild from the op log should
   * every snapshot of the document become corrupt (it may hold content no op carries).
   */
  async function recordInitial(docId: string): Promise<void> {
    const initial = await snapshots.latest(docId, 0);
    if (!initial) {
      log.warn({ docId }, 'version 0 is missing or corrupt: the document cannot be rebuilt from its op log');
      return;
    }
    await metadata.setInitialContent(docId, initial.data);
    await metadata.setLatestSnapshot(docId, 0);
  }

  function schedule(docId: string, doc: Pending, delayMs: number): void {
    if (stopped || doc.timer) return;
    doc.timer = setTimeout(() => runTimed(docId), delayMs);
    doc.timer.unref?.();
  }

  /** Writes the time-based snapshot of a document now (at its newest announced version). */
  function runTimed(docId: string): Promise<void> {
    const doc = pending.get(docId);
    if (!doc) return Promise.resolve();
    clearTimeout(doc.timer);
    doc.timer = undefined;
    return work
      .run(docId, async () => {
        const head = pending.get(docId)?.head;
        if (head !== undefined) await write(docId, head, 'activity');
      })
      .catch((err: unknown) => {
        const retry = pending.get(docId);
        if (!retry) return;
        retry.failures += 1;
        const delayMs = retryDelayMs(retry.failures);
        log.warn({ err, docId, attempt: retry.failures, retryInMs: delayMs }, 'snapshot failed; will retry');
        schedule(docId, retry, delayMs);
      });
  }

  async function onOp(docId: string, version: number, committedAt: number): Promise<void> {
    metrics.eventLag(Math.max(0, now() - committedAt) / 1000);
    let doc = pending.get(docId);
    if (!doc) {
      // What is stored already, so that events delivered again (a restart before their
      // offsets were committed, or after the start-up check caught up) cost nothing.
      const state = await metadata.snapshotState(docId);
      if (!state) return; // deleted, or never created
      doc = { head: version, written: state.latestSnapshot ?? -1, timer: undefined, failures: 0 };
      pending.set(docId, doc);
      metrics.pendingDocuments(pending.size);
    }
    doc.head = Math.max(doc.head, version);
    if (version <= doc.written) {
      settle(docId);
      return;
    }
    if (version % everyOps === 0) {
      await work.run(docId, () => write(docId, version, 'ops'));
      return;
    }
    schedule(docId, doc, afterMs);
  }

  async function handle(event: TandemEvent): Promise<void> {
    switch (event.type) {
      case 'op.committed':
        return onOp(event.docId, event.record.version, event.record.ts);
      case 'doc.created':
        // Emitted once version 0 is stored.
        return work.run(event.docId, () => recordInitial(event.docId));
      case 'doc.deleted':
        forget(event.docId);
        return work.run(event.docId, () => snapshots.purge(event.docId));
      case 'doc.renamed':
      case 'doc.restored':
      case 'doc.permissions':
        // A restore arrives as its own op.committed; names and roles are not content.
        return;
    }
  }

  /**
   * Snapshots each document whose op log is ahead of its recorded snapshot, and copies the
   * version 0 of each whose copy is missing.
   */
  function catchUp(): Promise<void> {
    return eachDocument(
      (after) =>
        metadata.snapshotVersions({ limit: CATCH_UP_PAGE, ...(after === undefined ? {} : { after }) }),
      async ({ docId, latestSnapshot, hasInitial }) => {
        if (!hasInitial) await work.run(docId, () => recordInitial(docId));
        const head = await opLog.latestVersion(docId);
        if (latestSnapshot === null || head > latestSnapshot) {
          await work.run(docId, () => write(docId, head, 'catch-up'));
        }
      },
      { stopped: () => stopped, stopping, log, itemFailed: 'could not catch up on a document' },
    );
  }

  const unsubscribe = deps.events.subscribe(SNAPSHOTTER_GROUP, handle);
  const caughtUp = deps.catchUp === false ? Promise.resolve() : catchUp();

  return {
    caughtUp,
    async flush() {
      await Promise.all(
        [...pending.keys()].map((docId) => (pending.get(docId)?.timer ? runTimed(docId) : null)),
      );
      await work.idle();
    },
    async stop() {
      stopped = true;
      wake();
      await unsubscribe();
      for (const doc of pending.values()) clearTimeout(doc.timer);
      await caughtUp;
      await work.idle();
    },
  };
}
