import type { EventBus, TandemEvent } from '@tandem/core';

interface Consumer {
  handler: (event: TandemEvent) => Promise<void>;
  queue: TandemEvent[];
  running: boolean;
  stopped: boolean;
}

/**
 * Events inside one process. Each group has one consumer that gets every event in publish
 * order, one at a time; a handler that throws is retried after a pause (with no bound, as
 * a Kafka consumer would stay on its offset), so a derived view never skips an event.
 */
export class InProcessEventBus implements EventBus {
  private readonly consumers = new Map<string, Consumer>();

  constructor(private readonly retryDelayMs = 1000) {}

  async publish(events: readonly TandemEvent[]): Promise<void> {
    for (const consumer of this.consumers.values()) {
      consumer.queue.push(...events);
      this.run(consumer);
    }
  }

  subscribe(group: string, handler: (event: TandemEvent) => Promise<void>): () => void {
    if (this.consumers.has(group)) throw new Error(`Group ${group} already has a consumer in this process`);
    const consumer: Consumer = { handler, queue: [], running: false, stopped: false };
    this.consumers.set(group, consumer);
    return () => {
      consumer.stopped = true;
      this.consumers.delete(group);
    };
  }

  /** Events published but not yet handled, per group: the consumer lag. */
  lag(): Record<string, number> {
    return Object.fromEntries([...this.consumers].map(([group, c]) => [group, c.queue.length]));
  }

  private run(consumer: Consumer): void {
    if (consumer.running) return;
    consumer.running = true;
    void (async () => {
      while (!consumer.stopped && consumer.queue.length > 0) {
        const event = consumer.queue[0] as TandemEvent;
        try {
          await consumer.handler(event);
          consumer.queue.shift();
        } catch {
          await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
        }
      }
      consumer.running = false;
    })();
  }
}
