import { type DocBroadcast, type FanOut, type Log, silentLog } from '@tandem/core';
import { RedisKeys } from './keys.js';
import type { RedisPubSub, Subscription } from './pubsub.js';

/**
 * Per-document broadcast on Redis sharded Pub/Sub: one channel per document, under the
 * document's hash tag. A process is subscribed to a document's channel only while a local
 * handler has it open (a gateway, only to the documents its clients have open).
 */
export class RedisFanOut implements FanOut {
  private readonly keys: RedisKeys;
  private readonly log: Log;
  private readonly channels = new Map<
    string,
    { handlers: Set<(message: DocBroadcast) => void>; subscription: Subscription }
  >();

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
    let channel = this.channels.get(docId);
    if (!channel) {
      const handlers = new Set<(message: DocBroadcast) => void>();
      // One parse per message for all of this process's handlers: they get the same object,
      // so a gateway encodes a broadcast for its sockets once, not once per socket.
      const subscription = this.pubsub.listen(this.keys.doc(docId).broadcast, (text) => {
        const message = JSON.parse(text) as DocBroadcast;
        for (const h of [...handlers]) {
          try {
            h(message);
          } catch (err) {
            this.log.error({ err, docId }, 'A broadcast handler threw');
          }
        }
      });
      // The port's subscribe does not wait for Redis: a message missed before the
      // subscription is in effect shows as a version gap, which clients fetch.
      subscription.ready.catch((err: unknown) =>
        this.log.error({ err, docId }, 'Could not subscribe to a document'),
      );
      channel = { handlers, subscription };
      this.channels.set(docId, channel);
    }
    const held = channel;
    held.handlers.add(handler);
    return () => {
      if (!held.handlers.delete(handler) || held.handlers.size > 0) return;
      if (this.channels.get(docId) === held) this.channels.delete(docId);
      held.subscription
        .close()
        .catch((err: unknown) => this.log.warn({ err, docId }, 'Could not unsubscribe'));
    };
  }
}
