import { mkdirSync } from 'node:fs';
import { assertSameOps, type ClientSeq, type OpLog, type OpRecord } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { JournalFiles } from './journal-files.js';

export interface JournaledOpLogOptions {
  /** The journal's directory (created if missing). */
  dir: string;
  /** How often ops move from the journal into the op log behind it. */
  flushIntervalMs?: number;
  /** Moves ops sooner once this many are waiting. */
  flushOps?: number;
  /** Told when a background move into the inner log fails (the ops stay journaled and are retried). */
  onFlushError?: (err: unknown) => void;
}

type JournalEntry = { d: string; r: OpRecord[] } | { d: string; purge: true };

interface QueuedEntry {
  entry: JournalEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * An op log behind a write-ahead journal. append() resolves once its ops are in the
 * journal on disk (one write and one fdatasync for all the appends of an event-loop turn,
 * off the event loop); a timer then moves them into the op log behind it in large groups.
 * For PGlite that turns one synchronous WebAssembly statement and WAL flush per turn into
 * one every flushIntervalMs: the statement is what made the embedded op log cost more
 * CPU per op than everything else together (docs/benchmarks.md).
 *
 * Reads see both: ops still waiting in memory and what the inner log holds. After a
 * crash, open() moves every op the journal holds into the inner log before anything
 * else happens (the inner log's appends are idempotent), so an acknowledged op is never
 * lost; a purge is journaled too, so a replay never brings back a deleted document's ops.
 */
export class JournaledOpLog implements OpLog {
  /** Durable in the journal, not yet in the inner log: per document, in the order appended. */
  private waiting = new Map<string, OpRecord[]>();
  private waitingCount = 0;
  /** The inner log's latest version of each document seen so far (appends above it cannot collide). */
  private innerHead = new Map<string, number>();
  private queue: QueuedEntry[] = [];
  private syncing = false;
  private flushing: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly inner: OpLog,
    private readonly files: JournalFiles,
    private readonly options: Required<Omit<JournaledOpLogOptions, 'dir'>>,
  ) {
    this.timer = setInterval(() => this.flushInBackground(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** Opens the journal in options.dir and first moves whatever it holds into `inner`. */
  static async open(inner: OpLog, options: JournaledOpLogOptions): Promise<JournaledOpLog> {
    mkdirSync(options.dir, { recursive: true });
    const files = JournalFiles.open(options.dir);
    await replay(inner, files.readAll() as JournalEntry[]);
    files.deleteSealed(Number.POSITIVE_INFINITY);
    return new JournaledOpLog(inner, files, {
      flushIntervalMs: options.flushIntervalMs ?? 250,
      flushOps: options.flushOps ?? 5_000,
      onFlushError: options.onFlushError ?? (() => {}),
    });
  }

  async append(docId: string, records: readonly OpRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.closed) throw new TandemError('UNAVAILABLE', 'The op log is closed');
    const { fresh, stored } = await this.split(docId, records);
    if (fresh.length > 0) await this.journal({ d: docId, r: fresh });
    // Checked last so that the other versions are stored first, as the port requires.
    if (stored.length > 0) assertSameOps(docId, records, stored);
  }

  /** Separates the records nobody has yet from the versions already held (in memory or in the inner log). */
  private async split(
    docId: string,
    records: readonly OpRecord[],
  ): Promise<{ fresh: OpRecord[]; stored: OpRecord[] }> {
    const innerHead = await this.knownInnerHead(docId);
    const held = new Map((this.waiting.get(docId) ?? []).map((r) => [r.version, r]));
    const below = records.filter((r) => r.version <= innerHead && !held.has(r.version));
    if (below.length > 0) {
      const versions = below.map((r) => r.version);
      for (const r of await this.inner.read(docId, Math.min(...versions), Math.max(...versions))) {
        held.set(r.version, r);
      }
    }
    const fresh: OpRecord[] = [];
    const stored: OpRecord[] = [];
    for (const r of records) {
      const existing = held.get(r.version);
      if (existing) stored.push(existing);
      else fresh.push(r);
    }
    return { fresh, stored };
  }

  private async knownInnerHead(docId: string): Promise<number> {
    const known = this.innerHead.get(docId);
    if (known !== undefined) return known;
    const head = await this.inner.latestVersion(docId);
    // A flush may have moved ops of the document while the read was in flight.
    const now = Math.max(head, this.innerHead.get(docId) ?? 0);
    this.innerHead.set(docId, now);
    return now;
  }

  /** Group commit: the appends of one event-loop turn share one write and one fdatasync. */
  private journal(entry: JournalEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      if (!this.syncing) {
        this.syncing = true;
        setImmediate(() => void this.writeQueued());
      }
    });
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      try {
        this.files.write(group.map((q) => q.entry));
        await this.files.sync();
      } catch (err) {
        for (const a of group) a.reject(err);
        continue;
      }
      for (const q of group) {
        if ('r' in q.entry) this.hold(q.entry.d, q.entry.r);
        q.resolve();
      }
      if (this.waitingCount >= this.options.flushOps) this.flushInBackground();
    }
    this.syncing = false;
  }

  private hold(docId: string, records: readonly OpRecord[]): void {
    const list = this.waiting.get(docId);
    if (list) list.push(...records);
    else this.waiting.set(docId, [...records]);
    this.waitingCount += records.length;
  }

  private flushInBackground(): void {
    this.flush().catch(this.options.onFlushError);
  }

  /**
   * Moves every op waiting in memory into the inner log, then deletes the journal segments
   * that held only those. One flush at a time; a failed flush keeps everything for the next.
   */
  flush(): Promise<void> {
    this.flushing ??= this.moveWaiting().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async moveWaiting(): Promise<void> {
    if (this.waitingCount === 0 && this.queue.length === 0 && !this.syncing) return;
    // Appends written to the sealed segment but still syncing join `waiting` when their
    // sync resolves; wait for that, so the segment holds nothing that stays only there.
    const sealed = this.files.rotate();
    await this.drainSyncs();
    const moving = this.waiting;
    this.waiting = new Map();
    this.waitingCount = 0;
    try {
      await Promise.all(
        [...moving].map(async ([docId, records]) => {
          await this.inner.append(docId, records);
          const head = Math.max(...records.map((r) => r.version));
          this.innerHead.set(docId, Math.max(head, this.innerHead.get(docId) ?? 0));
        }),
      );
    } catch (err) {
      for (const [docId, records] of moving) this.hold(docId, records);
      throw err;
    }
    this.files.deleteSealed(sealed);
  }

  private async drainSyncs(): Promise<void> {
    while (this.syncing) await new Promise((resolve) => setImmediate(resolve));
  }

  async read(docId: string, from: number, to = Number.MAX_SAFE_INTEGER): Promise<OpRecord[]> {
    const innerHead = this.innerHead.get(docId);
    const fromInner =
      innerHead !== undefined && from > innerHead ? [] : await this.inner.read(docId, from, to);
    const waiting = (this.waiting.get(docId) ?? []).filter((r) => r.version >= from && r.version <= to);
    if (waiting.length === 0) return fromInner;
    const byVersion = new Map(fromInner.map((r) => [r.version, r]));
    for (const r of waiting) if (!byVersion.has(r.version)) byVersion.set(r.version, r);
    return [...byVersion.values()].sort((a, b) => a.version - b.version);
  }

  async latestVersion(docId: string): Promise<number> {
    const waiting = this.waiting.get(docId);
    const inner = await this.knownInnerHead(docId);
    return waiting ? Math.max(inner, ...waiting.map((r) => r.version)) : inner;
  }

  async lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null> {
    let best: ClientSeq | null = null;
    for (const r of this.waiting.get(docId) ?? []) {
      if (r.clientId === clientId && (!best || r.seq > best.seq)) best = { seq: r.seq, version: r.version };
    }
    if (best) return best;
    return this.inner.lastOfClient(docId, clientId);
  }

  async purge(docId: string): Promise<void> {
    await this.journal({ d: docId, purge: true });
    // A flush that took the document's ops before the purge must not store them after it.
    // Its failure is reported by the flush itself (onFlushError); the purge goes on.
    await this.flushing?.catch(() => undefined);
    const waiting = this.waiting.get(docId);
    this.waitingCount -= waiting?.length ?? 0;
    this.waiting.delete(docId);
    this.innerHead.delete(docId);
    await this.inner.purge(docId);
  }

  /** Moves everything into the inner log and closes the journal (the inner log stays open). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.drainSyncs();
    await this.flush();
    this.files.deleteSealed(Number.POSITIVE_INFINITY);
    await this.files.close();
  }
}

/** Applies a journal to the inner log in order: appends per document, purges where they were. */
async function replay(inner: OpLog, entries: readonly JournalEntry[]): Promise<void> {
  const appends = new Map<string, OpRecord[]>();
  for (const entry of entries) {
    if ('purge' in entry) {
      appends.delete(entry.d);
      await inner.purge(entry.d);
    } else {
      const list = appends.get(entry.d);
      if (list) list.push(...entry.r);
      else appends.set(entry.d, [...entry.r]);
    }
  }
  await Promise.all([...appends].map(([docId, records]) => inner.append(docId, records)));
}
