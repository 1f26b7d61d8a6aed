import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { type PrivateServer, startPrivate } from '../src/index.js';

const stopped: PrivateServer<'redis' | 'kafka'>[] = [];
afterAll(async () => {
  for (const server of stopped) {
    await server.stop();
    rmSync(server.dir, { recursive: true, force: true });
  }
});

function portAnswers(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host as string, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('a private Redis', () => {
  it('keeps its port and data across a restart, and loses the data when wiped', async () => {
    const server = await startPrivate('redis');
    stopped.push(server);
    const { url } = server.endpoint;
    const use = async <T>(f: (redis: Redis) => Promise<T>): Promise<T> => {
      const redis = new Redis(url, { maxRetriesPerRequest: 0, lazyConnect: true });
      try {
        await redis.connect();
        return await f(redis);
      } finally {
        redis.disconnect();
      }
    };

    await use((redis) => redis.set('doc:1', 'v1'));
    await server.stop();
    expect(server.running).toBe(false);
    expect(await portAnswers(url.replace('redis://', ''))).toBe(false);

    await server.start();
    expect(server.endpoint.url).toBe(url);
    expect(await use((redis) => redis.get('doc:1'))).toBe('v1');

    await server.wipe();
    await server.start();
    expect(await use((redis) => redis.get('doc:1'))).toBeNull();
  });

  it('gives each instance its own port and directory', async () => {
    const [a, b] = await Promise.all([startPrivate('redis'), startPrivate('redis')]);
    stopped.push(a, b);
    expect(a.endpoint.url).not.toBe(b.endpoint.url);
    expect(a.dir).not.toBe(b.dir);
    await a.kill();
    expect(await portAnswers(b.endpoint.url.replace('redis://', ''))).toBe(true);
  });
});

describe('a private Kafka', () => {
  it('keeps its port, topics and messages across a stop and a start', async () => {
    const server = await startPrivate('kafka');
    stopped.push(server);
    const { brokers } = server.endpoint;
    const kafka = new Kafka({ clientId: 'infra-test', brokers, logLevel: logLevel.NOTHING });

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    await producer.send({ topic: 'doc.operations', messages: [{ key: 'doc-1', value: 'op-1' }] });
    await producer.disconnect();

    await server.stop();
    expect(await portAnswers(brokers[0] as string)).toBe(false);
    await server.start();
    expect(server.endpoint.brokers).toEqual(brokers);

    const consumer = kafka.consumer({ groupId: 'infra-test' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'doc.operations', fromBeginning: true });
    const first = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) });
    });
    await consumer.disconnect();
    expect(first).toBe('op-1');
  }, 120_000);
});
