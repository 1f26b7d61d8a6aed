import type { AnyDocType } from '@tandem/ot';
import type { ClientSeq, OpRecord } from '../ports/op-record.js';

/** One op waiting for its document's next commit. */
export interface PendingSubmit {
  req: SubmitRequest;
  arrivedAt: number;
  resolve(result: SubmitResult): void;
  reject(err: unknown): void;
}

export interface SubmitRequest {
  docId: string;
  userId: string;
  clientId: string;
  seq: number;
  baseVersion: number;
  op: unknown;
  /** The gateway session it came from; its broadcast carries this so that session gets an ack instead. */
  origin?: string;
}

export interface SubmitResult {
  version: number;
  /** True when this (clientId, seq) was committed before: nothing was applied, `version` is the original. */
  duplicate: boolean;
}

/**
 * A document loaded by the process that owns it: the materialized content at the
 * committed version, so that validating and applying an op never re-reads or re-writes
 * the whole document, and the recent ops that new ops are transformed past.
 */
export class LiveDoc {
  readonly queue: PendingSubmit[] = [];
  draining = false;
  lastUsed = Date.now();
  /** Last committed seq per client seen by this process; misses fall back to the stores. */
  readonly seqs = new Map<string, ClientSeq>();

  constructor(
    readonly id: string,
    readonly type: AnyDocType,
    public snapshot: unknown,
    public version: number,
    /** Ops up to `version`, the newest last; at most `recentKept`. */
    public recent: OpRecord[],
    private readonly recentKept: number,
  ) {}

  /** The committed ops after `after`, if all are still in memory. */
  opsAfter(after: number): OpRecord[] | undefined {
    if (after >= this.version) return [];
    const first = this.recent[0];
    if (!first || first.version > after + 1) return undefined;
    return this.recent.slice(after + 1 - first.version);
  }

  advance(snapshot: unknown, records: readonly OpRecord[]): void {
    this.snapshot = snapshot;
    for (const r of records) this.seqs.set(r.clientId, { seq: r.seq, version: r.version });
    this.recent.push(...records);
    if (this.recent.length > this.recentKept) this.recent.splice(0, this.recent.length - this.recentKept);
    const last = records[records.length - 1];
    if (last) this.version = last.version;
  }
}
