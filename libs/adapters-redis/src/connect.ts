import { type Log, silentLog } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** One Redis server (`redis://host:port/db`), or the startup nodes of a Redis Cluster. */
export type RedisTarget = { url: string } | { nodes: readonly { host: string; port: number }[] };

/** A connection every Redis adapter takes: to one server or to a cluster. */
export type RedisClient = Redis | Cluster;

export interface ConnectRedisOptions {
  /** Client name shown by CLIENT LIST, to tell the services' connections apart. */
  name?: string;
  /** Where connection errors after the start go (ioredis keeps reconnecting). */
  log?: Log;
  /** Merged over the defaults below, for what a deployment needs (TLS, passwords, timeouts). */
  redisOptions?: RedisOptions;
}

/**
 * Connects and waits until the server (or every slot of the cluster) is ready, so a
 * service that cannot reach Redis fails at start with UNAVAILABLE naming the address,
 * instead of queueing commands forever. After that, ioredis reconnects by itself.
 */
export async function connectRedis(
  target: RedisTarget,
  options: ConnectRedisOptions = {},
): Promise<RedisClient> {
  const redisOptions: RedisOptions = {
    lazyConnect: true,
    connectionName: options.name,
    // Commands of concurrent commits to different documents share a round trip.
    enableAutoPipelining: true,
    ...options.redisOptions,
  };
  const client: RedisClient =
    'url' in target
      ? new Redis(target.url, redisOptions)
      : new Cluster([...target.nodes], { lazyConnect: true, enableAutoPipelining: true, redisOptions });
  const where =
    'url' in target ? withoutPassword(target.url) : target.nodes.map((n) => `${n.host}:${n.port}`).join(', ');
  const log = options.log ?? silentLog;
  let started = false;
  let lastError: unknown;
  client.on('error', (err: unknown) => {
    lastError = err;
    if (started) log.warn({ err, redis: where }, 'Redis connection error; reconnecting');
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    const cause = lastError ?? err;
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new TandemError('UNAVAILABLE', `Redis at ${where} is unreachable: ${reason}`, {
      details: { redis: where },
      cause,
    });
  }
  started = true;
  return client;
}

/** The URL as it may appear in logs and errors. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an invalid Redis URL)';
  }
}
