import type { PresenceEntry, PresenceStore } from '@tandem/core';
import type { RedisClient } from './connect.js';
import { RedisKeys } from './keys.js';
import { defineScript, type Script } from './script.js';

// Redis 7.0 has no per-field expiry in a hash, so each document keeps its entries in a
// hash (clientId → JSON) and their expiry times in a sorted set. Times are the server's
// (TIME), so processes with skewed clocks agree on what has expired.
const LUA_NOW_AND_PRUNE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for i = 1, #expired, 500 do
  redis.call('HDEL', KEYS[1], unpack(expired, i, math.min(i + 499, #expired)))
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
`;

/**
 * KEYS: entries, expiries. ARGV: clientId, entry JSON, ttl (ms). Both keys expire with
 * their last entry, so an abandoned document leaves nothing behind.
 */
const SET = `${LUA_NOW_AND_PRUNE}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local ttl = math.max(1, tonumber(last[2]) - now)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
`;

/** KEYS: entries, expiries. The live entries' JSON. */
const LIST = `${LUA_NOW_AND_PRUNE}
return redis.call('HVALS', KEYS[1])
`;

/** Presence in Redis: each entry expires `ttlMs` after its last set(), by the server's clock. */
export class RedisPresenceStore implements PresenceStore {
  private readonly keys: RedisKeys;
  private readonly setScript: Script<null>;
  private readonly listScript: Script<string[]>;

  constructor(
    private readonly client: RedisClient,
    options: { prefix?: string } = {},
  ) {
    this.keys = new RedisKeys(options.prefix);
    this.setScript = defineScript(client, 'tandemPresenceSet', 2, SET);
    this.listScript = defineScript(client, 'tandemPresenceList', 2, LIST);
  }

  async set(entry: PresenceEntry, ttlMs: number): Promise<void> {
    const k = this.keys.doc(entry.docId);
    await this.setScript(
      [k.presence, k.presenceExpiry],
      [entry.clientId, JSON.stringify(entry), Math.ceil(ttlMs)],
    );
  }

  async remove(docId: string, clientId: string): Promise<void> {
    const k = this.keys.doc(docId);
    await this.client.multi().hdel(k.presence, clientId).zrem(k.presenceExpiry, clientId).exec();
  }

  async list(docId: string): Promise<PresenceEntry[]> {
    const k = this.keys.doc(docId);
    const texts = await this.listScript([k.presence, k.presenceExpiry], []);
    return texts.map((text) => JSON.parse(text) as PresenceEntry);
  }
}
