import type { ClientSeq, CommitOutcome, DocStateStore, OpRecord } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import type { RedisClient } from './connect.js';
import { RedisKeys } from './keys.js';
import { defineScript, type Script } from './script.js';

// Shared by the scripts below: appends ARGV[from..to] to a list, or sets them as
// field/value pairs of a hash, in slices, because Lua's unpack() fails beyond a few
// thousand values and a seed may carry many clients.
const LUA_HELPERS = `
local function push(key, from, to)
  local i = from
  while i <= to do
    local j = math.min(i + 999, to)
    redis.call('RPUSH', key, unpack(ARGV, i, j))
    i = j + 1
  end
end
local function hset(key, from, to)
  local i = from
  while i <= to do
    local j = math.min(i + 999, to)
    redis.call('HSET', key, unpack(ARGV, i, j))
    i = j + 1
  end
end
local function expire(ttl)
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
`;

/**
 * The commit: the one serialization point of the system (see DocStateStore.commit).
 * KEYS: head, ops, seqs. ARGV: expected head, ops kept, idle ttl (ms), op count n, the n
 * ops as JSON, then (clientId, "seq:version") pairs. Returns {1, new head} or {0, head}.
 */
const COMMIT = `${LUA_HELPERS}
local head = tonumber(redis.call('GET', KEYS[1]) or '0')
local expected = tonumber(ARGV[1])
if head ~= expected then return {0, head} end
local n = tonumber(ARGV[4])
if n > 0 then
  push(KEYS[2], 5, 4 + n)
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
end
hset(KEYS[3], 5 + n, #ARGV)
redis.call('SET', KEYS[1], string.format('%d', expected + n))
expire(ARGV[3])
return {1, expected + n}
`;

/**
 * KEYS: head, ops. ARGV: after. The ops after version `after` as JSON, or nil when the
 * document is unknown or its list no longer reaches back that far. The list holds the
 * ops up to the head without gaps, so its first version is head - length + 1.
 */
const SINCE = `
local head = redis.call('GET', KEYS[1])
if not head then return false end
head = tonumber(head)
local after = tonumber(ARGV[1])
if after >= head then return {} end
local first = head - redis.call('LLEN', KEYS[2]) + 1
if first > after + 1 then return false end
return redis.call('LRANGE', KEYS[2], after + 1 - first, -1)
`;

/**
 * KEYS: head, ops, seqs. ARGV: version, idle ttl (ms), op count n, the n ops as JSON, then
 * (clientId, "seq:version") pairs. Replaces the state unless the head is already there.
 */
const SEED = `${LUA_HELPERS}
local head = redis.call('GET', KEYS[1])
if head and tonumber(head) >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
local n = tonumber(ARGV[3])
if n > 0 then push(KEYS[2], 4, 3 + n) end
hset(KEYS[3], 4 + n, #ARGV)
redis.call('SET', KEYS[1], ARGV[1])
expire(ARGV[2])
return 1
`;

export interface RedisDocStateOptions {
  /** Ops kept per document for transforms and catch-up; older ones come from the op log. */
  recentKept?: number;
  /**
   * A document's state expires this long after its last commit or seed, so Redis holds
   * only documents in use; one edited again is seeded from the op log. Default 7 days.
   */
  idleTtlMs?: number;
  /** Key prefix, to share a Redis between deployments. */
  prefix?: string;
}

/**
 * Document state in Redis: the head (a string), the recent ops (a list of JSON texts,
 * capped) and each client's last seq (a hash), under keys that share the hash tag
 * {docId}. The commit is one Lua script, so it is atomic on a single server and on a
 * cluster. Ops are stored as the JSON text they were given, never decoded by Lua (whose
 * cjson would turn [] into {} and round numbers), so they read back exactly.
 */
export class RedisDocStateStore implements DocStateStore {
  private readonly keys: RedisKeys;
  private readonly recentKept: number;
  private readonly idleTtlMs: number;
  private readonly commitScript: Script<[number, number]>;
  private readonly sinceScript: Script<string[] | null>;
  private readonly seedScript: Script<number>;

  constructor(
    private readonly client: RedisClient,
    options: RedisDocStateOptions = {},
  ) {
    this.keys = new RedisKeys(options.prefix);
    this.recentKept = options.recentKept ?? 1000;
    this.idleTtlMs = options.idleTtlMs ?? 7 * 24 * 3600 * 1000;
    if (!Number.isSafeInteger(this.recentKept) || this.recentKept < 1) {
      throw new RangeError(`recentKept must be a positive integer, got ${this.recentKept}`);
    }
    this.commitScript = defineScript(client, 'tandemDocCommit', 3, COMMIT);
    this.sinceScript = defineScript(client, 'tandemDocSince', 2, SINCE);
    this.seedScript = defineScript(client, 'tandemDocSeed', 3, SEED);
  }

  async head(docId: string): Promise<number | null> {
    const head = await this.client.get(this.keys.doc(docId).head);
    return head === null ? null : Number(head);
  }

  async since(docId: string, after: number): Promise<OpRecord[] | null> {
    const k = this.keys.doc(docId);
    const texts = await this.sinceScript([k.head, k.ops], [after]);
    return texts === null ? null : texts.map((text) => JSON.parse(text) as OpRecord);
  }

  async lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null> {
    const value = await this.client.hget(this.keys.doc(docId).seqs, clientId);
    return value === null ? null : parseSeq(value);
  }

  async commit(docId: string, expected: number, records: readonly OpRecord[]): Promise<CommitOutcome> {
    records.forEach((r, i) => {
      if (r.version !== expected + i + 1) {
        throw new TandemError(
          'INTERNAL',
          `Commit of version ${r.version} at head ${expected + i} of ${docId}`,
          {
            details: { docId, expected, version: r.version },
          },
        );
      }
    });
    const k = this.keys.doc(docId);
    const [ok, head] = await this.commitScript(
      [k.head, k.ops, k.seqs],
      [
        expected,
        this.recentKept,
        this.idleTtlMs,
        records.length,
        ...records.map(toJson),
        ...seqPairs(records),
      ],
    );
    return ok === 1 ? { ok: true } : { ok: false, head };
  }

  async seed(
    docId: string,
    version: number,
    recent: readonly OpRecord[],
    seqs: ReadonlyMap<string, ClientSeq>,
  ): Promise<void> {
    const kept = recent.slice(-this.recentKept);
    const pairs = [...seqs].flatMap(([clientId, s]) => [clientId, `${s.seq}:${s.version}`]);
    const k = this.keys.doc(docId);
    await this.seedScript(
      [k.head, k.ops, k.seqs],
      [version, this.idleTtlMs, kept.length, ...kept.map(toJson), ...pairs],
    );
  }

  async drop(docId: string): Promise<void> {
    const k = this.keys.doc(docId);
    await this.client.del(k.head, k.ops, k.seqs);
  }
}

const toJson = (record: OpRecord) => JSON.stringify(record);

/** Each client's last (seq, version) among `records`, which are in version order. */
function seqPairs(records: readonly OpRecord[]): string[] {
  const last = new Map<string, string>();
  for (const r of records) last.set(r.clientId, `${r.seq}:${r.version}`);
  return [...last].flat();
}

function parseSeq(value: string): ClientSeq {
  const colon = value.indexOf(':');
  return { seq: Number(value.slice(0, colon)), version: Number(value.slice(colon + 1)) };
}
