/**
 * A small seeded pseudo-random generator (mulberry32) for reproducible randomized tests.
 *
 * The same seed always gives the same sequence, on every platform, so a failing property
 * test can be replayed from the seed it prints.
 */
export class Random {
  readonly seed: number;
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`A seed must be a finite number, got ${seed}`);
    this.seed = seed;
    this.state = Math.trunc(seed) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    if (!Number.isSafeInteger(maxExclusive) || maxExclusive <= 0) {
      throw new RangeError(`int() needs a positive integer bound, got ${maxExclusive}`);
    }
    return Math.floor(this.next() * maxExclusive);
  }

  /** An integer in [min, maxInclusive]. */
  range(min: number, maxInclusive: number): number {
    if (maxInclusive < min) throw new RangeError(`range(${min}, ${maxInclusive}) is empty`);
    return min + this.int(maxInclusive - min + 1);
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty array');
    return items[this.int(items.length)] as T;
  }

  /** A shuffled copy of `items` (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** An independent generator seeded from this one, for a sub-sequence that does not disturb this one. */
  fork(): Random {
    return new Random(this.int(0x100000000));
  }
}

/**
 * The integer seed in environment variable `name`, or `fallback` when it is unset or
 * empty (or when there is no `process`, as in a browser). Throws on a value that is not an
 * integer, so a mistyped replay seed is not silently ignored.
 */
export function seedFromEnv(name: string, fallback: number): number {
  if (typeof process === 'undefined' || process.env === undefined) return fallback;
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const seed = Number(raw.trim());
  if (!Number.isSafeInteger(seed))
    throw new RangeError(`${name} must be an integer seed, got ${JSON.stringify(raw)}`);
  return seed;
}
