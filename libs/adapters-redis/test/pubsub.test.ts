import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisFanOut, RedisKeys, RedisMembership } from '../src/index.js';
import { openProcess, TEST_PREFIX, type Topology } from './servers.js';

let counter = 0;
const uniqueId = (prefix = 'doc') => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

function until(check: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const poll = async () =>
      (await check())
        ? resolve()
        : Date.now() > deadline
          ? reject(new Error('timed out'))
          : setTimeout(() => void poll(), 10);
    void poll();
  });
}

for (const topology of ['server', 'cluster'] as const satisfies Topology[]) {
  describe(`Redis Pub/Sub adapters on ${topology === 'server' ? 'Redis' : 'Redis Cluster'}`, () => {
    let a: Awaited<ReturnType<typeof openProcess>>;
    let b: Awaited<ReturnType<typeof openProcess>>;
    beforeAll(async () => {
      [a, b] = await Promise.all([openProcess(topology), openProcess(topology)]);
    });
    afterAll(async () => {
      await Promise.all([a?.close(), b?.close()]);
    });

    /** Connections subscribed to `channel`, over every master of a cluster. */
    const subscribers = async (channel: string): Promise<number> => {
      const servers = topology === 'cluster' ? (a.client as Cluster).nodes('master') : [a.client];
      const counts = await Promise.all(
        servers.map(async (s) => Number(((await s.pubsub('SHARDNUMSUB', channel)) as unknown[])[1])),
      );
      return counts.reduce((x, y) => x + y, 0);
    };

    it('subscribes a process to a document only while a local handler has it open', async () => {
      const doc = uniqueId();
      const channel = new RedisKeys(TEST_PREFIX).doc(doc).broadcast;
      const fanOut = new RedisFanOut(b.pubsub, { prefix: TEST_PREFIX });
      expect(await subscribers(channel)).toBe(0);
      const first: unknown[] = [];
      const second: unknown[] = [];
      const offFirst = fanOut.subscribe(doc, (m) => first.push(m));
      const offSecond = fanOut.subscribe(doc, (m) => second.push(m));
      await until(async () => (await subscribers(channel)) === 1);
      await new RedisFanOut(a.pubsub, { prefix: TEST_PREFIX }).publish(doc, { kind: 'permissions' });
      await until(() => first.length === 1 && second.length === 1);
      offFirst();
      await new Promise((r) => setTimeout(r, 50));
      expect(await subscribers(channel)).toBe(1);
      offSecond();
      await until(async () => (await subscribers(channel)) === 0);
    });

    it('keeps delivering to the other handlers when one throws', async () => {
      const channel = uniqueId('channel');
      const got: string[] = [];
      const failing = b.pubsub.listen(channel, () => {
        throw new Error('handler bug');
      });
      const working = b.pubsub.listen(channel, (m) => got.push(m));
      await Promise.all([failing.ready, working.ready]);
      await a.pubsub.publish(channel, 'one');
      await a.pubsub.publish(channel, 'two');
      await until(() => got.length === 2);
      expect(got).toEqual(['one', 'two']);
      await Promise.all([failing.close(), working.close()]);
    });

    it('delivers again to a handler that subscribes right after the last one left', async () => {
      const channel = uniqueId('channel');
      const first = b.pubsub.listen(channel, () => {});
      await first.ready;
      const closing = first.close();
      const got: string[] = [];
      const second = b.pubsub.listen(channel, (m) => got.push(m));
      await Promise.all([closing, second.ready]);
      expect(await a.pubsub.publish(channel, 'still here')).toBe(1);
      await until(() => got.length === 1);
      await second.close();
    });

    it('announces a member that comes back after it expired', async () => {
      const group = uniqueId('group');
      const watcher = new RedisMembership(a.client, a.pubsub, { prefix: TEST_PREFIX, group });
      const seen: string[][] = [];
      const stop = watcher.watch((m) => seen.push(m));
      await until(() => seen.length === 1);
      const paused = new RedisMembership(b.client, b.pubsub, { prefix: TEST_PREFIX, group });
      await paused.join('worker-1', 200);
      await until(() => seen.at(-1)?.length === 1);
      paused.close();
      await until(() => seen.at(-1)?.length === 0, 2000);
      const leave = await paused.join('worker-1', 10_000);
      await until(() => seen.at(-1)?.length === 1, 1000);
      expect(seen).toEqual([[], ['worker-1'], [], ['worker-1']]);
      stop();
      await leave();
    });
  });
}
