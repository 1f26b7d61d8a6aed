import { readEndpoints } from '@tandem/testkit';
import { connectRedis, type RedisClient, RedisPubSub } from '../src/index.js';

export type Topology = 'server' | 'cluster';

/**
 * A connection to the Redis server or the 3-master Redis Cluster that `pnpm infra:up`
 * started. Throws, naming what to run, when there is none or it does not answer.
 */
export async function openRedis(topology: Topology): Promise<RedisClient> {
  const endpoints = readEndpoints();
  const target =
    topology === 'server' ? { url: endpoints.redis.url } : { nodes: endpoints.redisCluster.nodes };
  return connectRedis(target, { name: 'tandem-test' });
}

/** A connection and its subscriber, as one process has them. */
export async function openProcess(topology: Topology): Promise<{
  client: RedisClient;
  pubsub: RedisPubSub;
  close(): Promise<void>;
}> {
  const client = await openRedis(topology);
  const pubsub = await RedisPubSub.open(client);
  return {
    client,
    pubsub,
    close: async () => {
      pubsub.close();
      await client.quit();
    },
  };
}

/** Keys of test runs go under their own prefix, and idle documents expire within minutes. */
export const TEST_PREFIX = 'tandem-test';
export const TEST_IDLE_TTL_MS = 5 * 60_000;
