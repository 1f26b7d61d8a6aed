import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { redisCommand, redisReady } from '../probes.js';
import type { Instance, ServerDef } from '../server.js';
import { redisArgs } from './redis.js';

const run = promisify(execFile);
const MASTERS = 3;

/** Each node's client port, then each node's cluster bus port (chosen free, not client port + 10000). */
const clientPorts = (inst: Instance): number[] => inst.ports.slice(0, MASTERS);
const busPort = (inst: Instance, node: number): number => inst.ports[MASTERS + node] as number;

async function clusterInfo(port: number): Promise<Map<string, string>> {
  const info = await redisCommand(port, 'CLUSTER', 'INFO');
  return new Map(info.split('\r\n').map((line) => line.split(':') as [string, string]));
}

async function clusterOk(inst: Instance): Promise<boolean> {
  for (const port of clientPorts(inst)) {
    const info = await clusterInfo(port).catch(() => undefined);
    if (info?.get('cluster_state') !== 'ok' || info.get('cluster_known_nodes') !== String(MASTERS))
      return false;
  }
  return true;
}

/**
 * A Redis Cluster of 3 masters and no replicas, from the Debian package redis-server: for the Lua
 * scripts of the Redis adapter, whose keys must hash to one slot.
 */
export const redisCluster: ServerDef<'redisCluster'> = {
  key: 'redisCluster',
  name: 'redis-cluster',
  heavy: false,
  portCount: MASTERS * 2,
  startTimeoutMs: 15_000,
  stopSignal: 'SIGTERM',
  stopTimeoutMs: 10_000,
  async launch({ inst, launch }) {
    clientPorts(inst).forEach((port, node) => {
      const dir = join(inst.dataDir, `node${node + 1}`);
      mkdirSync(dir, { recursive: true });
      launch({
        label: `node${node + 1}`,
        command: 'redis-server',
        args: [
          ...redisArgs(port, dir),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, 'nodes.conf'),
          '--cluster-port',
          String(busPort(inst, node)),
          '--cluster-node-timeout',
          '5000',
        ],
        cwd: dir,
      });
    });
  },
  ready: async (inst) => (await Promise.all(clientPorts(inst).map(redisReady))).every(Boolean),
  async init({ inst, progress }) {
    // A restart finds the cluster in each node's nodes.conf; only new nodes are joined and given slots.
    const info = await clusterInfo(clientPorts(inst)[0] as number);
    if (info.get('cluster_known_nodes') === '1') {
      progress('creating the cluster (slots over 3 masters)');
      await run('redis-cli', [
        '--cluster',
        'create',
        ...clientPorts(inst).map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
    }
    const deadline = Date.now() + 30_000;
    while (!(await clusterOk(inst))) {
      if (Date.now() > deadline) throw new Error('redis-cluster: the cluster did not reach state ok in 30 s');
      await sleep(200);
    }
  },
  endpoint: async (inst) => ({ nodes: clientPorts(inst).map((port) => ({ host: '127.0.0.1', port })) }),
};
