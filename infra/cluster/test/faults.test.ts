import { rmSync } from 'node:fs';
import { KafkaEventBus } from '@tandem/adapters-kafka';
import type { TandemEvent } from '@tandem/core';
import { type PrivateServer, startPrivate } from '@tandem/infra-local';
import { seedFromEnv, waitFor } from '@tandem/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { Editing, metric, startTestCluster } from './harness.js';

/**
 * The infrastructure failing under a cluster that is being edited (ARCHITECTURE.md,
 * durability and "degrade, don't stop"). Each test runs a cluster of its own on a private
 * instance of the server it breaks, started here; the private Cassandra is the slowest to
 * start, so it boots while the other tests run.
 */
type Breakable = 'redis' | 'kafka' | 'cassandra';
const starting = new Map<Breakable, Promise<PrivateServer<Breakable>>>();

function privateServer<K extends Breakable>(name: K): Promise<PrivateServer<K>> {
  let server = starting.get(name);
  if (!server) {
    const began = Date.now();
    server = startPrivate(name);
    server.then(
      (s) => console.log(`private ${name} started in ${Date.now() - began} ms (${s.dir})`),
      () => undefined,
    );
    starting.set(name, server);
  }
  return server as Promise<PrivateServer<K>>;
}

const seed = seedFromEnv('CLUSTER_SEED', Math.floor(Math.random() * 2 ** 31));

afterAll(async () => {
  for (const server of starting.values()) {
    const s = await server.catch(() => undefined);
    if (!s) continue;
    await s.stop();
    rmSync(s.dir, { recursive: true, force: true });
  }
}, 120_000);

/** A cluster on `replace`, and editors typing markers into text and rich-text documents from both gateways. */
async function editedCluster(label: string, replace: Parameters<typeof startTestCluster>[1]) {
  console.log(`${label} seed: ${seed} (replay the op choices with CLUSTER_SEED=${seed})`);
  const tc = await startTestCluster(label, replace);
  const editing = await Editing.open(tc, {
    types: ['text', 'rich-text', 'text', 'rich-text', 'text', 'rich-text'],
    clients: 4,
    mode: 'markers',
    seed,
  });
  editing.start();
  await editing.more(200, 'before the fault');
  return { tc, editing };
}

describe('cluster: the infrastructure fails under load', () => {
  // Start the Cassandra of the last test now: it takes the longest.
  void privateServer('cassandra').catch(() => undefined);

  it('Redis restarted with its data lost: editing resumes and the state is rebuilt from the op log', async () => {
    const redis = await privateServer('redis');
    const { editing: ed } = await editedCluster('redis-wipe', { replace: { redis: redis.endpoint } });

    const down = Date.now();
    await redis.wipe();
    await redis.start();
    const up = Date.now();
    const resume = await ed.resumed(up, 'Redis came back empty');
    console.log(
      `redis wipe: down for ${up - down} ms; editing resumed ${Math.max(...resume)} ms after it was back (slowest document)`,
    );
    await ed.more(200, 'after Redis came back');
    await ed.stop();
    await ed.verify(`redis wipe, seed ${seed}`);
  }, 240_000);

  it('Kafka stopped and restarted: editing goes on while it is down, and every event is delivered after', async () => {
    const kafka = await privateServer('kafka');
    const { tc: c, editing: ed } = await editedCluster('kafka-restart', {
      replace: { kafka: kafka.endpoint },
    });

    const down = Date.now();
    await kafka.stop();
    const stopped = Date.now();
    const backlog = async () =>
      (await Promise.all(c.cluster.workers.map((w) => metric(w, 'tandem_event_backlog')))).reduce(
        (a, b) => a + b,
      );
    // The workers' publishes fail (after their timeout): they keep the events and go on committing.
    await waitFor(async () => (await backlog()) > 0, 'the workers to hold events back', 30_000, 200);
    await ed.more(300, 'while Kafka is down');
    const held = await backlog();
    expect(kafka.running).toBe(false);
    const upAt = Date.now();
    await kafka.start();
    console.log(
      `kafka restart: stopping took ${stopped - down} ms; down for ${upAt - stopped} ms, in which ops went on being acknowledged and ${held} events were held back; starting took ${Date.now() - upAt} ms`,
    );
    await ed.more(100, 'after Kafka came back');
    await ed.stop();
    const logs = await ed.verify(`kafka restart, seed ${seed}`);

    // Every op of every document arrives as an op.committed event, none skipped (some twice at most: at least once).
    const seen = new Map<string, Set<number>>();
    const created = new Set<string>();
    const bus = new KafkaEventBus({
      brokers: kafka.endpoint.brokers,
      topic: `${c.cluster.namespace}.doc.operations`,
    });
    const stop = bus.subscribe(`check-${Date.now()}`, async (event: TandemEvent) => {
      if (event.type === 'doc.created') created.add(event.docId);
      if (event.type !== 'op.committed') return;
      const versions = seen.get(event.docId) ?? new Set<number>();
      versions.add(event.record.version);
      seen.set(event.docId, versions);
    });
    const complete = () =>
      [...logs].every(([docId, log]) => (seen.get(docId)?.size ?? 0) >= log.length && created.has(docId));
    try {
      await waitFor(complete, 'every op.committed event to be delivered', 90_000, 100);
    } finally {
      await stop();
      await bus.close();
    }
    for (const [docId, log] of logs) {
      expect(
        [...(seen.get(docId) ?? [])].sort((a, b) => a - b),
        `op.committed versions of ${docId}`,
      ).toEqual(log.map((r) => r.version));
    }
  }, 240_000);

  it('Cassandra stopped: ops are refused with a retryable error, none is acknowledged, and nothing is lost after it is back', async () => {
    const cassandra = await privateServer('cassandra');
    const { editing: ed } = await editedCluster('cassandra-stop', {
      replace: { cassandra: cassandra.endpoint },
    });

    const stopping = Date.now();
    await cassandra.stop();
    const down = Date.now();
    // An ack already on its way when the process ended may still arrive; after this grace none may.
    const GRACE_MS = 1_000;
    // Each client resends its refused op about once a second: three refusals each make a few seconds down.
    await waitFor(
      () => ed.editors.every((e) => e.retryable.filter((r) => r.at > down + GRACE_MS).length >= 3),
      'every client to have its op refused as retryable three times while Cassandra is down',
      60_000,
      20,
    );
    const restarting = Date.now();
    const refusals = ed.editors.flatMap((e) => e.retryable.filter((r) => r.at > down + GRACE_MS));
    const ackedWhileDown = ed.editors.flatMap((e) =>
      e.acks
        .filter((a) => a.at > down + GRACE_MS && a.at < restarting)
        .map((a) => `${e.label}: seq ${a.seq}`),
    );
    await cassandra.start();
    const up = Date.now();
    const resume = await ed.resumed(up, 'Cassandra came back', 60_000);
    console.log(
      `cassandra stop: stopping took ${down - stopping} ms; down for ${restarting - down} ms (${refusals.length} refusals: ${[...new Set(refusals.map((r) => r.code))].join(', ')}); ` +
        `starting took ${up - restarting} ms; editing resumed ${Math.max(...resume)} ms after (slowest document)`,
    );
    expect(ackedWhileDown, 'ops acknowledged while Cassandra was down').toEqual([]);
    expect(new Set(refusals.map((r) => r.code))).toEqual(new Set(['UNAVAILABLE']));
    await ed.more(200, 'after Cassandra came back');
    await ed.stop();
    await ed.verify(`cassandra stop, seed ${seed}`);
  }, 300_000);
});
