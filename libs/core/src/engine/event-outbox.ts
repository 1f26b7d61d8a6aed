import type { EventBus, TandemEvent } from '../ports/events.js';
import type { EngineObserver, Log } from './observer.js';

/**
 * Events waiting for the bus. Editing never waits for events: when the bus is down they
 * queue here, in order, and a retry loop delivers them when it is back, none skipped.
 * The queue is bounded only by memory; its size is reported so an operator sees a broker
 * outage before it becomes one.
 */
export class EventOutbox {
  private readonly queue: TandemEvent[] = [];
  private flushing = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private delayMs: number;

  constructor(
    private readonly bus: EventBus,
    private readonly log: Log,
    private readonly observer: EngineObserver,
    private readonly minDelayMs = 100,
    private readonly maxDelayMs = 10_000,
  ) {
    this.delayMs = minDelayMs;
  }

  get size(): number {
    return this.queue.length;
  }

  push(events: readonly TandemEvent[]): void {
    if (events.length === 0) return;
    this.queue.push(...events);
    if (!this.retryTimer) void this.flush();
  }

  /** Resolves once everything queued so far was published (tests and graceful shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0) {
      await this.flush();
      if (this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, this.minDelayMs));
    }
  }

  close(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, 500);
        await this.bus.publish(batch);
        this.queue.splice(0, batch.length);
        this.delayMs = this.minDelayMs;
      }
    } catch (err) {
      this.log.warn({ err, backlog: this.queue.length }, 'event publish failed; will retry');
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.flush();
      }, this.delayMs);
      this.delayMs = Math.min(this.maxDelayMs, this.delayMs * 2);
    } finally {
      this.flushing = false;
      this.observer.eventBacklog(this.queue.length);
    }
  }
}
