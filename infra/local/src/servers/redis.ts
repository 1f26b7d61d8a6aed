import { redisReady } from '../probes.js';
import type { Instance, ServerDef } from '../server.js';

/** Settings shared with the Redis Cluster nodes. */
export function redisArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--daemonize',
    'no',
    // An append-only file, so a stop and start keeps the data and only a wipe loses it (the
    // fault tests choose which); snapshots off.
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
  ];
}

const port = (inst: Instance): number => inst.ports[0] as number;

/** Redis, single node, from the Debian package redis-server. */
export const redis: ServerDef<'redis'> = {
  key: 'redis',
  name: 'redis',
  heavy: false,
  portCount: 1,
  startTimeoutMs: 15_000,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 10_000,
  async launch({ inst, launch }) {
    launch({
      label: 'redis',
      command: 'redis-server',
      args: redisArgs(port(inst), inst.dataDir),
      cwd: inst.dataDir,
    });
  },
  ready: (inst) => redisReady(port(inst)),
  endpoint: async (inst) => ({ url: `redis://127.0.0.1:${port(inst)}` }),
};
