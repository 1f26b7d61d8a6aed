import type { ServerName } from '@tandem/testkit';
import type { AnyServerDef, ServerDef } from '../server.js';
import { cassandra } from './cassandra.js';
import { elasticsearch } from './elasticsearch.js';
import { kafka } from './kafka.js';
import { postgres } from './postgres.js';
import { redis } from './redis.js';
import { redisCluster } from './redis-cluster.js';
import { s3 } from './s3.js';

/** Every server, in the order they start (the ones most tests need first). */
export const SERVERS: readonly AnyServerDef[] = [
  redis,
  postgres,
  s3,
  kafka,
  cassandra,
  redisCluster,
  elasticsearch,
];

export function serverByKey<K extends ServerName>(key: K): ServerDef<K> {
  const def = SERVERS.find((server) => server.key === key);
  if (def === undefined) throw new Error(`unknown server ${key}`);
  return def as ServerDef<K>;
}

/** By its command-line name (`redis-cluster`) or its endpoints key (`redisCluster`). */
export function serverByName(name: string): AnyServerDef | undefined {
  return SERVERS.find((server) => server.name === name || server.key === name);
}
