/**
 * Latency bookkeeping for the load generator: a log-linear histogram (HDR-style, under
 * 0.4% error, constant memory) and the tracker that pairs each author's send times with
 * every other editor's receipt of the same committed version.
 */

/** Values below 2 × SUB microseconds are exact; above, each power of two is split into SUB buckets. */
const SUB_BITS = 8;
const SUB = 1 << SUB_BITS;
const BUCKETS = SUB * 26;

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  max = 0;

  /** Records one value in milliseconds (kept at 1 µs resolution). */
  record(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    const idx = Histogram.indexOf(us);
    this.counts[idx] = (this.counts[idx] as number) + 1;
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  /** The value (ms) at quantile q in [0, 1]; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return Math.min(this.max, Histogram.valueOf(i) / 1000);
    }
    return this.max;
  }

  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  private static indexOf(us: number): number {
    const v = Math.min(us, 2 ** 31 - 1);
    if (v < 2 * SUB) return v;
    const e = 31 - Math.clz32(v) - SUB_BITS;
    return Math.min(BUCKETS - 1, SUB * (e + 1) + ((v >> e) - SUB));
  }

  /** Midpoint of a bucket, in microseconds. */
  private static valueOf(idx: number): number {
    if (idx < 2 * SUB) return idx;
    const e = Math.floor(idx / SUB) - 1;
    const low = (idx - SUB * (e + 1) + SUB) * 2 ** e;
    return low + (2 ** e - 1) / 2;
  }
}

interface Pending {
  /** Local submit times of the keystrokes the author's op carried (set by the ack). */
  sends?: number[];
  /** Receipt times that arrived before the author's ack. */
  early?: number[];
  /** Receivers still to report this version. */
  left: number;
}

/**
 * Pairs sends and receipts by (document, version). The author reports the version its
 * op was committed at together with the local submit time of every keystroke the op
 * carried (several, when the client composed keystrokes while an op was in flight);
 * each other editor reports when it applied that version. Either can come first. Only
 * keystrokes submitted inside the measurement window are sampled.
 */
export class LatencyTracker {
  readonly histogram = new Histogram();
  private readonly docs: Map<number, Pending>[];
  windowStart = Number.POSITIVE_INFINITY;
  windowEnd = Number.POSITIVE_INFINITY;

  constructor(
    docCount: number,
    private readonly receiversPerOp: number,
  ) {
    this.docs = Array.from({ length: docCount }, () => new Map());
  }

  ack(doc: number, version: number, sends: number[]): void {
    if (this.receiversPerOp === 0) return;
    const map = this.docs[doc] as Map<number, Pending>;
    const entry = map.get(version) ?? { left: this.receiversPerOp };
    entry.sends = sends;
    if (entry.early) for (const r of entry.early) this.pair(sends, r);
    entry.early = undefined;
    if (entry.left <= 0) map.delete(version);
    else map.set(version, entry);
  }

  receive(doc: number, version: number, at: number): void {
    const map = this.docs[doc] as Map<number, Pending>;
    let entry = map.get(version);
    if (!entry) {
      entry = { left: this.receiversPerOp };
      map.set(version, entry);
    }
    entry.left--;
    if (entry.sends) {
      this.pair(entry.sends, at);
      if (entry.left <= 0) map.delete(version);
    } else {
      entry.early ??= [];
      entry.early.push(at);
    }
  }

  /** Versions some receiver has not reported yet (or whose author never saw its ack). */
  get unmatched(): number {
    let n = 0;
    for (const map of this.docs) n += map.size;
    return n;
  }

  private pair(sends: number[], at: number): void {
    for (const s of sends) {
      if (s >= this.windowStart && s < this.windowEnd) this.histogram.record(at - s);
    }
  }
}
