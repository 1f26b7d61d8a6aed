import type { Membership } from '@tandem/core';

/** What every view of one in-process fleet shares: the heartbeat table, as Redis holds it for the Redis adapter. */
class Fleet {
  /** Member id → when it expires (ms since the epoch). */
  readonly expiries = new Map<string, number>();
  readonly listeners = new Set<() => void>();

  live(): string[] {
    const now = Date.now();
    for (const [id, expires] of this.expiries) if (expires <= now) this.expiries.delete(id);
    return [...this.expiries.keys()].sort();
  }

  /** When the first live member expires, or undefined when none is live. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const expires of this.expiries.values()) if (next === undefined || expires < next) next = expires;
    return next;
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * Membership inside one process, for the embedded mode and for simulations of a fleet in
 * one test: each MemoryMembership is one process's view, and views made with
 * `{ sharedWith }` see the same members. Heartbeats and expiry work as with Redis, so
 * close() (a process killed) makes its members disappear `ttlMs` after their last beat.
 */
export class MemoryMembership implements Membership {
  private readonly fleet: Fleet;
  private readonly stops = new Set<() => void>();

  constructor(options: { sharedWith?: MemoryMembership } = {}) {
    this.fleet = options.sharedWith?.fleet ?? new Fleet();
  }

  async join(memberId: string, ttlMs: number): Promise<() => Promise<void>> {
    const beat = () => {
      const isNew = !this.fleet.live().includes(memberId);
      this.fleet.expiries.set(memberId, Date.now() + ttlMs);
      if (isNew) this.fleet.changed();
    };
    beat();
    const timer = setInterval(beat, ttlMs / 3);
    const stop = () => {
      clearInterval(timer);
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    return async () => {
      stop();
      this.fleet.expiries.delete(memberId);
      this.fleet.changed();
    };
  }

  async members(): Promise<string[]> {
    return this.fleet.live();
  }

  watch(onChange: (members: string[]) => void): () => void {
    let last: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const check = () => {
      clearTimeout(timer);
      if (stopped) return;
      const members = this.fleet.live();
      const key = JSON.stringify(members);
      if (key !== last) {
        last = key;
        onChange(members);
      }
      const next = this.fleet.nextExpiry();
      if (next !== undefined) timer = setTimeout(check, Math.max(0, next - Date.now()) + 1);
    };
    this.fleet.listeners.add(check);
    queueMicrotask(check);
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      this.fleet.listeners.delete(check);
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    return stop;
  }

  /** Stops this view as a killed process stops: its members are not removed, they expire. */
  close(): void {
    for (const stop of [...this.stops]) stop();
  }
}
