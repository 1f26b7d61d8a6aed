import { type Log, silentLog } from '@tandem/core';
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './connect.js';

/** One handler's hold on a channel. */
export interface Subscription {
  /** Resolves once Redis delivers the channel's messages to this process; rejects if it refused. */
  ready: Promise<void>;
  /** Lets go of the channel; the last handler of a channel unsubscribes this process from it. */
  close(): Promise<void>;
}

interface Channel {
  handlers: Set<(message: string) => void>;
  ready: Promise<void>;
}

/**
 * Sharded Pub/Sub (SPUBLISH/SSUBSCRIBE, Redis 7 and later) for every channel of these
 * adapters. A shard channel lives on the master of its hash slot, so on a Redis Cluster a
 * message goes to that one shard instead of over the whole cluster bus; SPUBLISH counts
 * the subscribers that got it; and one channel's messages keep their order, because one
 * node relays them all. (Plain PUBLISH on a cluster reaches a random node and is
 * forwarded to every other, so two messages of one channel could arrive out of order.)
 * On a single server, sharded Pub/Sub behaves as plain Pub/Sub.
 *
 * A process subscribes through one dedicated connection (on a cluster, one per master, as
 * sharded Pub/Sub needs), and to a channel only while a local handler wants it.
 */
export class RedisPubSub {
  private readonly subscriber: RedisClient;
  private readonly channels = new Map<string, Channel>();
  private readonly log: Log;

  /**
   * Opens the subscriber connection before resolving, so a process that cannot subscribe
   * fails at start, and its first subscription costs one round trip, not a connection.
   */
  static async open(client: RedisClient, options: { log?: Log } = {}): Promise<RedisPubSub> {
    const pubsub = new RedisPubSub(client, options);
    try {
      await pubsub.subscriber.connect();
    } catch (err) {
      pubsub.close();
      throw err;
    }
    return pubsub;
  }

  private constructor(
    private readonly client: RedisClient,
    options: { log?: Log },
  ) {
    this.log = options.log ?? silentLog;
    this.subscriber = client.isCluster
      ? (client as Cluster).duplicate([], { shardedSubscribers: true, lazyConnect: true })
      : (client as Redis).duplicate({ lazyConnect: true });
    this.subscriber.on('error', (err: unknown) =>
      this.log.warn({ err }, 'Redis subscriber connection error'),
    );
    this.subscriber.on('smessage', (channel: string, message: string) => this.deliver(channel, message));
  }

  /** Publishes `message`; resolves to the number of subscribed connections that received it. */
  async publish(channel: string, message: string): Promise<number> {
    return Number(await this.client.spublish(channel, message));
  }

  /** Hands `handler` every message of `channel` from when `ready` resolves until close(). */
  listen(channel: string, handler: (message: string) => void): Subscription {
    let entry = this.channels.get(channel);
    if (!entry) {
      const created: Channel = { handlers: new Set(), ready: Promise.resolve() };
      created.ready = this.subscriber.ssubscribe(channel).then(
        () => undefined,
        (err: unknown) => {
          if (this.channels.get(channel) === created) this.channels.delete(channel);
          throw err;
        },
      );
      this.channels.set(channel, created);
      entry = created;
    }
    const held = entry;
    held.handlers.add(handler);
    return {
      ready: held.ready,
      close: async () => {
        if (!held.handlers.delete(handler) || held.handlers.size > 0) return;
        if (this.channels.get(channel) !== held) return;
        this.channels.delete(channel);
        await this.subscriber.sunsubscribe(channel);
      },
    };
  }

  /** Closes the subscriber connection; the client passed in stays open (its owner closes it). */
  close(): void {
    this.channels.clear();
    this.subscriber.disconnect();
  }

  private deliver(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    for (const handler of [...entry.handlers]) {
      try {
        handler(message);
      } catch (err) {
        this.log.error({ err, channel }, 'A Pub/Sub handler threw');
      }
    }
  }
}
