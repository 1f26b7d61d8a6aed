import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TandemEvent } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import type { ISocketFactory } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaEventBus } from '../src/index.js';
import { brokers, deleteTopic, unique, until } from './kafka.js';

const PUBLISH_TIMEOUT_MS = 3_000;

/**
 * Takes Kafka away from one bus without touching the broker other tests share: its
 * connections go through this socket factory. 'down' resets them and sends new ones to a
 * closed port (a stopped broker); 'hung' sends new ones to a server that accepts and never
 * answers.
 */
class Breaker {
  private mode: 'up' | 'down' | 'hung' = 'up';
  private readonly sockets = new Set<Socket>();
  private readonly silent: Server = createServer((socket) => this.track(socket));
  private closedPort = 0;

  async open(): Promise<void> {
    await new Promise<void>((resolve) => this.silent.listen(0, '127.0.0.1', resolve));
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    this.closedPort = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
  }

  readonly factory: ISocketFactory = ({ host, port, onConnect }) => {
    const target =
      this.mode === 'up'
        ? { host, port }
        : { host: '127.0.0.1', port: this.mode === 'down' ? this.closedPort : this.silentPort };
    return this.track(connect(target, onConnect));
  };

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    return socket;
  }

  set(mode: 'up' | 'down' | 'hung'): void {
    this.mode = mode;
    // As the client sees a broker that stopped: its connections reset.
    for (const socket of this.sockets)
      socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  }

  async close(): Promise<void> {
    this.set('down');
    await new Promise((resolve) => this.silent.close(resolve));
  }

  private get silentPort(): number {
    return (this.silent.address() as { port: number }).port;
  }
}

const renamed = (docId: string, n: number): TandemEvent => ({
  type: 'doc.renamed',
  docId,
  title: `t${n}`,
  at: n,
});

async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  const error = await promise.then(
    () => new Error('expected a failure, got success'),
    (err: unknown) => err,
  );
  return { error, ms: Date.now() - started };
}

describe('KafkaEventBus when Kafka goes away', () => {
  const topic = unique('doc.operations');
  const breaker = new Breaker();
  const readerBreaker = new Breaker();
  let bus: KafkaEventBus;
  let reader: KafkaEventBus;

  beforeAll(async () => {
    await breaker.open();
    await readerBreaker.open();
    bus = new KafkaEventBus({
      brokers: brokers(),
      topic,
      partitions: 2,
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
      socketFactory: breaker.factory,
    });
    reader = new KafkaEventBus({
      brokers: brokers(),
      topic,
      partitions: 2,
      socketFactory: readerBreaker.factory,
    });
    await bus.start();
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    await reader?.close();
    await breaker.close();
    await readerBreaker.close();
    await deleteTopic(topic);
  });

  it('fails a publish within seconds while Kafka is down or hung, and delivers everything published once it is back', async () => {
    const doc = unique('doc');
    await bus.publish([renamed(doc, 0)]);

    breaker.set('down');
    const down = await failure(bus.publish([renamed(doc, 1)]));
    expect(down.error).toBeInstanceOf(TandemError);
    expect(down.error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(down.ms).toBeLessThan(PUBLISH_TIMEOUT_MS + 1_000);

    breaker.set('hung');
    const hung = await failure(bus.publish([renamed(doc, 1)]));
    expect(hung.error).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    expect(hung.ms).toBeLessThan(PUBLISH_TIMEOUT_MS + 1_000);

    breaker.set('up');
    // As the engine's outbox does: the same events again until they are accepted.
    await until(
      () =>
        bus.publish([renamed(doc, 1)]).then(
          () => true,
          () => false,
        ),
      30_000,
    );
    await bus.publish([renamed(doc, 2)]);

    const got: string[] = [];
    const stop = reader.subscribe(unique('group'), async (e) => {
      if (e.docId === doc && e.type === 'doc.renamed') got.push(e.title);
    });
    await until(() => got.includes('t2'));
    await stop();
    // A publish reported failed may still have reached the broker: at least once, in order.
    expect([...new Set(got)]).toEqual(['t0', 't1', 't2']);
  }, 90_000);

  it('resumes a consumer that lost Kafka once it is back, skipping nothing', async () => {
    const doc = unique('doc');
    const got: string[] = [];
    const stop = reader.subscribe(unique('group'), async (e) => {
      if (e.docId === doc && e.type === 'doc.renamed') got.push(e.title);
    });
    await bus.publish([renamed(doc, 0)]);
    await until(() => got.includes('t0'), 30_000);

    readerBreaker.set('down');
    await bus.publish([1, 2, 3].map((n) => renamed(doc, n)));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    readerBreaker.set('up');

    await until(() => got.includes('t3'), 60_000);
    await stop();
    expect([...new Set(got)]).toEqual(['t0', 't1', 't2', 't3']);
  }, 120_000);
});
