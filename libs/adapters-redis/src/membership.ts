import { type Log, type Membership, silentLog } from '@tandem/core';
import type { RedisClient } from './connect.js';
import { RedisKeys } from './keys.js';
import type { RedisPubSub, Subscription } from './pubsub.js';
import { defineScript, type Script } from './script.js';

const LUA_NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: members. ARGV: memberId, ttl (ms). Returns 1 when the member was not live before this beat. */
const BEAT = `${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
`;

/**
 * KEYS: members. Returns the ms until the first live member expires (-1 when none is
 * live), then the live members.
 */
const LIST = `${LUA_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
table.insert(live, 1, first[2] and math.ceil(tonumber(first[2]) - now) or -1)
return live
`;

export interface RedisMembershipOptions {
  /** The fleet: each group has its own members (the collab workers are 'workers'). */
  group?: string;
  prefix?: string;
  /**
   * Longest time a watcher goes without reading the members: it reads on every join or
   * leave it is told of and when the next member is due to expire, and this bounds how
   * stale it can be if a notification was lost (Pub/Sub is at most once).
   */
  maxStaleMs?: number;
  log?: Log;
}

/**
 * Membership by heartbeat in Redis. A group is one sorted set (member → when it expires,
 * by the server's clock) rather than one key per member with a TTL: listing keys by
 * pattern needs a SCAN of every node of a cluster, while the set is one key on one slot
 * whose expired members every read removes. Joins and leaves are announced on the
 * group's channel so watchers read at once; an expiry is found by the watcher's timer,
 * which is set for the first member's expiry.
 */
export class RedisMembership implements Membership {
  private readonly keys: { members: string; changes: string };
  private readonly beatScript: Script<number>;
  private readonly listScript: Script<(number | string)[]>;
  private readonly maxStaleMs: number;
  private readonly log: Log;
  /** What close() stops: heartbeats and watchers. */
  private readonly stops = new Set<() => void>();

  constructor(
    private readonly client: RedisClient,
    private readonly pubsub: RedisPubSub,
    options: RedisMembershipOptions = {},
  ) {
    this.keys = new RedisKeys(options.prefix).group(options.group ?? 'workers');
    this.beatScript = defineScript(client, 'tandemMemberBeat', 1, BEAT);
    this.listScript = defineScript(client, 'tandemMemberList', 1, LIST);
    this.maxStaleMs = options.maxStaleMs ?? 5_000;
    this.log = options.log ?? silentLog;
  }

  async join(memberId: string, ttlMs: number): Promise<() => Promise<void>> {
    const beat = async () => {
      if ((await this.beatScript([this.keys.members], [memberId, Math.ceil(ttlMs)])) === 1)
        await this.announce();
    };
    await beat();
    // Three beats per ttl: a member survives two lost or late ones.
    const timer = setInterval(() => {
      beat().catch((err: unknown) => this.log.warn({ err, memberId }, 'Membership heartbeat failed'));
    }, ttlMs / 3);
    const stop = () => {
      clearInterval(timer);
      this.stops.delete(stop);
    };
    this.stops.add(stop);
    return async () => {
      stop();
      await this.client.zrem(this.keys.members, memberId);
      await this.announce();
    };
  }

  async members(): Promise<string[]> {
    return (await this.read()).members;
  }

  watch(onChange: (members: string[]) => void): () => void {
    let stopped = false;
    let last: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let reading = false;
    let again = false;
    const refresh = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      clearTimeout(timer);
      let delay = this.maxStaleMs;
      try {
        const { members, nextExpiryMs } = await this.read();
        if (nextExpiryMs >= 0) delay = Math.min(delay, nextExpiryMs + 1);
        const key = JSON.stringify(members);
        if (!stopped && key !== last) {
          last = key;
          onChange(members);
        }
      } catch (err) {
        this.log.warn({ err }, 'Could not read the members');
      } finally {
        reading = false;
      }
      if (stopped) return;
      if (again) {
        again = false;
        return refresh();
      }
      timer = setTimeout(() => void refresh(), delay);
    };
    const subscription: Subscription = this.pubsub.listen(this.keys.changes, () => void refresh());
    // Read once subscribed, so no change between the read and the subscription is missed.
    subscription.ready.then(
      () => refresh(),
      (err: unknown) => {
        this.log.error({ err }, 'Could not subscribe to membership changes');
        return refresh();
      },
    );
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      this.stops.delete(stop);
      subscription.close().catch((err: unknown) => this.log.warn({ err }, 'Could not unsubscribe'));
    };
    this.stops.add(stop);
    return stop;
  }

  /**
   * Stops heartbeats and watchers without leaving, as a killed process would: this
   * process's members disappear when their heartbeats expire. Leave first to go at once.
   */
  close(): void {
    for (const stop of [...this.stops]) stop();
  }

  private async read(): Promise<{ members: string[]; nextExpiryMs: number }> {
    const [next, ...members] = await this.listScript([this.keys.members], []);
    return { members: (members as string[]).sort(), nextExpiryMs: Number(next) };
  }

  private async announce(): Promise<void> {
    await this.pubsub.publish(this.keys.changes, '');
  }
}
