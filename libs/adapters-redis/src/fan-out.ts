import { type DocBroadcast, type FanOut, type Log, silentLog } from '@tandem/core';
import { RedisKeys } from './keys.js';
import type { RedisPubSub } from './pubsub.js';

/**
 * Per-document broadcast on Redis sharded Pub/Sub: one channel per document, under the
 * document's hash tag. A process is subscribed to a document's channel only while a local
 * handler has it open (a gateway, only to the documents its clients have open).
 */
export class RedisFanOut implements FanOut {
  private readonly keys: RedisKeys;
  private readonly log: Log;

  constructor(
    private readonly pubsub: RedisPubSub,
    options: { prefix?: string; log?: Log } = {},
  ) {
    this.keys = new RedisKeys(options.prefix);
    this.log = options.log ?? silentLog;
  }

  async publish(docId: string, message: DocBroadcast): Promise<void> {
    await this.pubsub.publish(this.keys.doc(docId).broadcast, JSON.stringify(message));
  }

  subscribe(docId: string, handler: (message: DocBroadcast) => void): () => void {
    const subscription = this.pubsub.listen(this.keys.doc(docId).broadcast, (text) =>
      handler(JSON.parse(text) as DocBroadcast),
    );
    // The port's subscribe does not wait for Redis: a message missed before the
    // subscription is in effect shows as a version gap, which clients fetch.
    subscription.ready.catch((err: unknown) =>
      this.log.error({ err, docId }, 'Could not subscribe to a document'),
    );
    return () => {
      subscription.close().catch((err: unknown) => this.log.warn({ err, docId }, 'Could not unsubscribe'));
    };
  }
}
