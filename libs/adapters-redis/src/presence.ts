import type { PresenceEntry, PresenceStore } from '@tandem/core';
import type { RedisClient } from './connect.js';
import { RedisKeys } from './keys.js';
import { defineScript, type Script } from './script.js';

// Redis 7.0 has no per-field expiry in a hash, so each document keeps its entries in a
// hash (clientId → JSON) and their expiry times in a sorted set. Times are the server's
// (TIME), so processes with skewed clocks agree on what has expired. A third hash holds
// the batch turn: changes made, how many the last batch covered, and which process took
// that turn until when.
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
 * KEYS: entries, expiries, turn. ARGV: clientId, entry JSON, ttl (ms), JSON of the entry it
 * restates. 1 if a change, else 0: the live entry (expired ones are pruned first) is the
 * restated one, compared as encode() wrote both. The keys expire with their last entry, so
 * an abandoned document leaves nothing behind.
 */
const SET = `${LUA_NOW_AND_PRUNE}
local changed = redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[4]
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
if changed then redis.call('HINCRBY', KEYS[3], 'changes', 1) end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local ttl = math.max(1, tonumber(last[2]) - now)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return changed and 1 or 0
`;

/**
 * KEYS: entries, expiries, turn. ARGV: clientId. Removing the last entry leaves only the
 * turn hash, which must outlive it until some gateway sends the batch that shows the
 * removal: a minute, whatever the entry had left.
 */
const REMOVE = `${LUA_NOW_AND_PRUNE}
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'changes', 1)
if redis.call('PTTL', KEYS[3]) < 60000 then redis.call('PEXPIRE', KEYS[3], 60000) end
`;

/**
 * KEYS: entries, expiries, turn. ARGV: process, interval (ms). {'send', entries' JSON},
 * {'busy'} or {'unchanged'}: see PresenceStore.takeBatch. One script, so two gateways asking
 * at once cannot both take the turn, and the entries sent are exactly the changes counted.
 */
const TAKE = `${LUA_NOW_AND_PRUNE}
local turn = redis.call('HMGET', KEYS[3], 'changes', 'sent', 'holder', 'held_until')
local changes = tonumber(turn[1] or '0')
if changes == tonumber(turn[2] or '0') then return {'unchanged'} end
if turn[3] and turn[3] ~= ARGV[1] and tonumber(turn[4]) > now then return {'busy'} end
redis.call('HSET', KEYS[3], 'sent', changes, 'holder', ARGV[1], 'held_until', now + tonumber(ARGV[2]))
return {'send', redis.call('HVALS', KEYS[1])}
`;

type Turn = ['send', string[]] | ['busy'] | ['unchanged'];

/** An entry as JSON with its fields always in one order, so that the SET script can compare two as strings. */
function encode(e: PresenceEntry): string {
  const selection = e.selection && { anchor: e.selection.anchor, head: e.selection.head };
  return JSON.stringify({
    docId: e.docId,
    clientId: e.clientId,
    userId: e.userId,
    name: e.name,
    selection,
    version: e.version,
  });
}

/**
 * Presence in Redis: each entry expires `ttlMs` after its last set(), by the server's clock;
 * a document's batch turn is shared by every gateway.
 */
export class RedisPresenceStore implements PresenceStore {
  private readonly keys: RedisKeys;
  private readonly setScript: Script<0 | 1>;
  private readonly removeScript: Script<null>;
  private readonly takeScript: Script<Turn>;

  constructor(client: RedisClient, options: { prefix?: string } = {}) {
    this.keys = new RedisKeys(options.prefix);
    this.setScript = defineScript(client, 'tandemPresenceSet', 3, SET);
    this.removeScript = defineScript(client, 'tandemPresenceRemove', 3, REMOVE);
    this.takeScript = defineScript(client, 'tandemPresenceTake', 3, TAKE);
  }

  async set(entry: PresenceEntry, ttlMs: number, restates: PresenceEntry = entry): Promise<boolean> {
    const encoded = encode(entry);
    const changed = await this.setScript(this.keysOf(entry.docId), [
      entry.clientId,
      encoded,
      Math.ceil(ttlMs),
      restates === entry ? encoded : encode(restates),
    ]);
    return changed === 1;
  }

  async remove(docId: string, clientId: string): Promise<void> {
    await this.removeScript(this.keysOf(docId), [clientId]);
  }

  async takeBatch(
    docId: string,
    by: string,
    intervalMs: number,
  ): Promise<PresenceEntry[] | 'busy' | 'unchanged'> {
    const turn = await this.takeScript(this.keysOf(docId), [by, Math.ceil(intervalMs)]);
    if (turn[0] !== 'send') return turn[0];
    return turn[1].map((text) => JSON.parse(text) as PresenceEntry);
  }

  private keysOf(docId: string): string[] {
    const k = this.keys.doc(docId);
    return [k.presence, k.presenceExpiry, k.presenceTurn];
  }
}
