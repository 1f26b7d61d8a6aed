import type { RedisClient } from './connect.js';

/** A Lua script run by its keys and arguments. */
export type Script<R> = (keys: readonly string[], args: readonly (string | number)[]) => Promise<R>;

/**
 * Registers `lua` on the client with ioredis defineCommand, which runs it by EVALSHA and
 * falls back to EVAL (loading it) when the server does not have it yet: after a restart,
 * a failover, or on a cluster node it never ran on. Every key a script touches must be in
 * `keys` and share one hash slot, so the script runs on Redis Cluster.
 */
export function defineScript<R>(
  client: RedisClient,
  name: string,
  numberOfKeys: number,
  lua: string,
): Script<R> {
  const commands = client as unknown as Record<string, (...args: (string | number)[]) => Promise<R>>;
  if (typeof commands[name] !== 'function') {
    client.defineCommand(name, { lua, numberOfKeys });
  }
  const run = commands[name] as (...args: (string | number)[]) => Promise<R>;
  return (keys, args) => run.call(client, ...keys, ...args);
}
