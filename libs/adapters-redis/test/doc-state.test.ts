import type { ClientSeq, OpRecord } from '@tandem/core';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RedisClient, RedisDocStateStore, RedisKeys } from '../src/index.js';
import { openRedis, TEST_IDLE_TTL_MS, TEST_PREFIX, type Topology } from './servers.js';

let counter = 0;
const uniqueId = (prefix = 'doc') => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

const record = (version: number, clientId = 'client-a', seq = version): OpRecord => ({
  version,
  op: [version, 'x'],
  author: 'ann',
  clientId,
  seq,
  ts: 1_700_000_000_000 + version,
});
const range = (from: number, to: number, clientId?: string) =>
  Array.from({ length: to - from + 1 }, (_, i) => record(from + i, clientId));

for (const topology of ['server', 'cluster'] as const satisfies Topology[]) {
  describe(`RedisDocStateStore on ${topology === 'server' ? 'Redis' : 'Redis Cluster'}`, () => {
    const clients: RedisClient[] = [];
    const open = async () => {
      const client = await openRedis(topology);
      clients.push(client);
      return client;
    };
    let client: RedisClient;
    let store: RedisDocStateStore;
    beforeAll(async () => {
      client = await open();
      store = new RedisDocStateStore(client, { prefix: TEST_PREFIX, idleTtlMs: TEST_IDLE_TTL_MS });
    });
    afterAll(async () => {
      await Promise.all(clients.map((c) => c.quit()));
    });

    it('lets exactly one of two committers on separate connections through at each version', async () => {
      const doc = uniqueId();
      const a = new RedisDocStateStore(await open(), { prefix: TEST_PREFIX, idleTtlMs: TEST_IDLE_TTL_MS });
      const b = new RedisDocStateStore(await open(), { prefix: TEST_PREFIX, idleTtlMs: TEST_IDLE_TTL_MS });
      const rounds = 200;
      for (let head = 0; head < rounds; head += 1) {
        const [ra, rb] = await Promise.all([
          a.commit(doc, head, [record(head + 1, 'client-a', head + 1)]),
          b.commit(doc, head, [record(head + 1, 'client-b', head + 1)]),
        ]);
        expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
        expect(ra.ok ? rb : ra).toEqual({ ok: false, head: head + 1 });
        const [stored] = (await store.since(doc, head)) ?? [];
        expect(stored?.clientId).toBe(ra.ok ? 'client-a' : 'client-b');
      }
      expect(await store.head(doc)).toBe(rounds);
      const all = (await store.since(doc, 0)) ?? [];
      expect(all.map((r) => r.version)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    });

    it('keeps only the last recentKept ops, and says so when asked for older ones', async () => {
      const doc = uniqueId();
      const capped = new RedisDocStateStore(client, { prefix: TEST_PREFIX, recentKept: 5 });
      expect(await capped.commit(doc, 0, range(1, 3))).toEqual({ ok: true });
      expect(await capped.commit(doc, 3, range(4, 8))).toEqual({ ok: true });
      expect((await capped.since(doc, 3))?.map((r) => r.version)).toEqual([4, 5, 6, 7, 8]);
      expect(await capped.since(doc, 2)).toBeNull();
      expect(await capped.since(doc, 0)).toBeNull();
      expect(await capped.since(doc, 8)).toEqual([]);
      await capped.seed(doc, 20, range(11, 20), new Map());
      expect((await capped.since(doc, 15))?.map((r) => r.version)).toEqual([16, 17, 18, 19, 20]);
      expect(await capped.since(doc, 14)).toBeNull();
    });

    it('commits and seeds more ops and clients than one Lua unpack() can carry', async () => {
      const doc = uniqueId();
      const big = new RedisDocStateStore(client, { prefix: TEST_PREFIX, recentKept: 10_000 });
      const batch = Array.from({ length: 5_000 }, (_, i) => record(i + 1, `client-${i}`, 1));
      expect(await big.commit(doc, 0, batch)).toEqual({ ok: true });
      expect((await big.since(doc, 0))?.length).toBe(5_000);
      expect(await big.lastOfClient(doc, 'client-4321')).toEqual({ seq: 1, version: 4322 });
      const seeded = uniqueId();
      const seqs = new Map<string, ClientSeq>(
        batch.map((r) => [r.clientId, { seq: r.seq, version: r.version }]),
      );
      await big.seed(seeded, 5_000, batch, seqs);
      expect((await big.since(seeded, 4_990))?.map((r) => r.version)).toEqual(
        range(4_991, 5_000).map((r) => r.version),
      );
      expect(await big.lastOfClient(seeded, 'client-4999')).toEqual({ seq: 1, version: 5_000 });
    });

    it('records the last seq of a client that has several ops in one batch', async () => {
      const doc = uniqueId();
      await store.commit(doc, 0, [record(1, 'c', 7), record(2, 'd', 1), record(3, 'c', 8)]);
      expect(await store.lastOfClient(doc, 'c')).toEqual({ seq: 8, version: 3 });
      expect(await store.lastOfClient(doc, 'd')).toEqual({ seq: 1, version: 2 });
    });

    it('refuses a batch whose versions do not follow the expected head, and stores nothing', async () => {
      const doc = uniqueId();
      await expect(store.commit(doc, 0, [record(2)])).rejects.toMatchObject({ code: 'INTERNAL' });
      expect(await store.head(doc)).toBeNull();
    });

    it('works for document ids with braces, colons and any script', async () => {
      for (const doc of [
        `${uniqueId()}}x`,
        `{${uniqueId()}}`,
        `a:b:${uniqueId()}`,
        `${uniqueId()}-日本語-😀`,
      ]) {
        expect(await store.commit(doc, 0, range(1, 2))).toEqual({ ok: true });
        expect((await store.since(doc, 0))?.map((r) => r.version)).toEqual([1, 2]);
        expect(await store.lastOfClient(doc, 'client-a')).toEqual({ seq: 2, version: 2 });
        await store.drop(doc);
        expect(await store.head(doc)).toBeNull();
        expect(await store.lastOfClient(doc, 'client-a')).toBeNull();
      }
    });

    it('runs its scripts again after the server forgot them (EVALSHA falls back to EVAL)', async () => {
      const doc = uniqueId();
      await store.commit(doc, 0, range(1, 1));
      const servers = topology === 'cluster' ? (client as Cluster).nodes('master') : [client];
      await Promise.all(servers.map((s) => s.script('FLUSH')));
      expect(await store.commit(doc, 1, range(2, 2))).toEqual({ ok: true });
      expect((await store.since(doc, 0))?.map((r) => r.version)).toEqual([1, 2]);
    });

    it('forgets a document idle for longer than idleTtlMs, and keeps one in use', async () => {
      const idle = uniqueId();
      const used = uniqueId();
      const short = new RedisDocStateStore(client, { prefix: TEST_PREFIX, idleTtlMs: 300 });
      await short.commit(idle, 0, range(1, 1));
      await short.seed(used, 1, range(1, 1), new Map([['client-a', { seq: 1, version: 1 }]]));
      for (let v = 2; v <= 5; v += 1) {
        await new Promise((r) => setTimeout(r, 100));
        await short.commit(used, v - 1, range(v, v));
      }
      expect(await short.head(idle)).toBeNull();
      expect(await short.lastOfClient(idle, 'client-a')).toBeNull();
      expect(await short.head(used)).toBe(5);
      expect((await short.since(used, 0))?.length).toBe(5);
    });

    if (topology === 'cluster') {
      it('keeps every key of a document in one hash slot', async () => {
        const keys = new RedisKeys(TEST_PREFIX).doc('some-doc');
        const slots = await Promise.all(Object.values(keys).map((k) => client.cluster('KEYSLOT', k)));
        expect(new Set(slots).size).toBe(1);
      });
    }
  });
}
