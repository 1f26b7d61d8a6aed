import type { TandemEvent } from '@tandem/core';
import { Registry } from '@tandem/metrics';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaEventBus } from '../src/index.js';
import { brokers, deleteTopic, unique, until } from './kafka.js';

const renamed = (docId: string, n: number): TandemEvent => ({
  type: 'doc.renamed',
  docId,
  title: `t${n}`,
  at: n,
});

const title = (e: TandemEvent) => (e.type === 'doc.renamed' ? e.title : e.type);

describe('KafkaEventBus', () => {
  const topic = unique('doc.operations');
  const registry = new Registry();
  let bus: KafkaEventBus;

  beforeAll(async () => {
    bus = new KafkaEventBus({ brokers: brokers(), topic, partitions: 4, registry });
    await bus.start();
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    await deleteTopic(topic);
  });

  it('resumes a group after its last committed offset when a new consumer replaces a stopped one', async () => {
    const doc = unique('doc');
    const group = unique('group');
    await bus.publish(Array.from({ length: 20 }, (_, i) => renamed(doc, i)));

    const first: string[] = [];
    let stopping: Promise<void> | undefined;
    const stopFirst = bus.subscribe(group, async (e) => {
      if (e.docId !== doc) return;
      first.push(title(e));
      if (first.length === 10) {
        // Stopped while this event is being handled: it is the one event a successor may see again.
        stopping = stopFirst();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
    await until(() => stopping !== undefined);
    await stopping;
    expect(first).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));

    const second: string[] = [];
    const stopSecond = bus.subscribe(group, async (e) => {
      if (e.docId === doc) second.push(title(e));
    });
    await until(() => second.at(-1) === 't19');
    await stopSecond();
    const redelivered = second[0] === 't9' ? 1 : 0;
    expect(second.slice(redelivered)).toEqual(Array.from({ length: 10 }, (_, i) => `t${i + 10}`));
  }, 60_000);

  it("delivers each document's events of every type in publish order, across partitions", async () => {
    const docs = Array.from({ length: 12 }, () => unique('doc'));
    const group = unique('group');
    const published: TandemEvent[] = [];
    for (let i = 0; i < 10; i += 1) {
      for (const docId of docs) {
        published.push(
          i === 0
            ? { type: 'doc.created', docId, docType: 'text', title: 'new', ownerId: 'u', at: 0 }
            : i === 9
              ? { type: 'doc.deleted', docId, at: 9 }
              : {
                  type: 'op.committed',
                  docId,
                  docType: 'text',
                  record: { version: i, op: [i], author: 'u', clientId: 'client-k', seq: i, ts: i },
                },
        );
      }
    }
    const got = new Map<string, TandemEvent[]>();
    const stop = bus.subscribe(group, async (e) => {
      if (docs.includes(e.docId)) got.set(e.docId, [...(got.get(e.docId) ?? []), e]);
    });
    await bus.publish(published);
    await until(() => docs.every((d) => got.get(d)?.length === 10));
    await stop();
    for (const docId of docs) expect(got.get(docId)).toEqual(published.filter((e) => e.docId === docId));
  }, 60_000);

  it('publishes more than a broker takes in one request (1 MiB) in one call', async () => {
    const doc = unique('doc');
    const text = 'é'.repeat(50 * 1024);
    const events: TandemEvent[] = Array.from({ length: 25 }, (_, i) => ({
      type: 'op.committed',
      docId: doc,
      docType: 'text',
      record: { version: i + 1, op: [0, text], author: 'u', clientId: 'client-big', seq: i + 1, ts: i },
    }));
    await bus.publish(events);
    const versions: number[] = [];
    const stop = bus.subscribe(unique('group'), async (e) => {
      if (e.docId === doc && e.type === 'op.committed') versions.push(e.record.version);
    });
    await until(() => versions.length === 25);
    await stop();
    expect(versions).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  }, 60_000);

  it('keeps a consumer whose handler outlasts the session timeout (10 s) in its group', async () => {
    const doc = unique('doc');
    const calls: string[] = [];
    const stop = bus.subscribe(unique('group'), async (e) => {
      if (e.docId !== doc) return;
      calls.push(title(e));
      if (title(e) === 't0') await new Promise((resolve) => setTimeout(resolve, 12_000));
    });
    await bus.publish([renamed(doc, 0), renamed(doc, 1)]);
    await until(() => calls.includes('t1'), 40_000);
    await stop();
    // Dropped from the group, it would have been handed t0 again by the rebalance.
    expect(calls).toEqual(['t0', 't1']);
  }, 60_000);

  it('reports how far a group is behind, per partition', async () => {
    const doc = unique('doc');
    const group = unique('group');
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handled: string[] = [];
    const stop = bus.subscribe(group, async (e) => {
      if (e.docId !== doc) return;
      await held;
      handled.push(title(e));
    });
    const lag = async () => {
      const metric = await registry.getSingleMetric('tandem_event_consumer_lag')?.get();
      return (metric?.values ?? [])
        .filter((v) => v.labels.group === group)
        .reduce((sum, v) => sum + v.value, 0);
    };
    await bus.publish(Array.from({ length: 5 }, (_, i) => renamed(doc, i)));
    await until(async () => (await lag()) >= 5);
    expect(handled).toEqual([]);
    release();
    await until(() => handled.length === 5);
    // Lag is reported as batches are resolved, which may come a moment after the handler.
    await until(async () => (await lag()) === 0);
    await stop();
  }, 60_000);
});

describe('KafkaEventBus logs', () => {
  it("writes kafkajs's log lines through pino", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const bus = new KafkaEventBus({ brokers: ['127.0.0.1:1'], logger, requestTimeoutMs: 1_000 });
    await expect(bus.publish([renamed('doc-nowhere', 0)])).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await bus.close();
    const fromKafkajs = lines.filter((l) => l.component === 'kafka' && typeof l.namespace === 'string');
    expect(fromKafkajs.length).toBeGreaterThan(0);
    expect(fromKafkajs.some((l) => l.level === 50)).toBe(true);
  }, 30_000);
});
