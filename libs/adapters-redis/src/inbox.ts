import type { Inbox } from '@tandem/core';
import { RedisKeys } from './keys.js';
import type { RedisPubSub } from './pubsub.js';

/**
 * Inboxes on Redis sharded Pub/Sub: one channel per member, under the member's own hash
 * tag so a cluster spreads the inboxes over its shards. At most once, as the port says:
 * SPUBLISH counts the receivers, so a sender learns at once that nobody was listening.
 */
export class RedisInbox<M = unknown> implements Inbox<M> {
  private readonly keys: RedisKeys;

  constructor(
    private readonly pubsub: RedisPubSub,
    options: { prefix?: string } = {},
  ) {
    this.keys = new RedisKeys(options.prefix);
  }

  async send(memberId: string, message: M): Promise<boolean> {
    return (await this.pubsub.publish(this.keys.inbox(memberId), JSON.stringify(message))) > 0;
  }

  async receive(memberId: string, handler: (message: M) => void): Promise<() => Promise<void>> {
    const subscription = this.pubsub.listen(this.keys.inbox(memberId), (text) =>
      handler(JSON.parse(text) as M),
    );
    try {
      await subscription.ready;
    } catch (err) {
      await subscription.close();
      throw err;
    }
    return () => subscription.close();
  }
}
