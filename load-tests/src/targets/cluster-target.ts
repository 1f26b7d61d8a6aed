import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@tandem/auth';
import { type ServiceName, startCluster } from '@tandem/cluster';
import { readEndpoints, serverPids } from '@tandem/testkit';
import { serverNodeArgs } from './child-process.js';
import type { RunningTarget, ServerProcess, Target } from './target.js';

/**
 * The servers `pnpm infra:up` started (each server's pids/*.json), so that a cluster's CPU per
 * op includes its infrastructure: Redis, Cassandra, Kafka, Postgres, S3 and Elasticsearch,
 * each named after its folder. The Redis Cluster (there for the Lua scripts' tests) serves no
 * cluster.
 */
function infrastructureProcesses(): ServerProcess[] {
  return ['redis', 'postgres', 'cassandra', 'kafka', 's3', 'elasticsearch'].flatMap((server) =>
    serverPids(server).map((pid) => ({ name: server, pid })),
  );
}

/** The breakdown's line for each kind of service that runs several times. */
const SERVICE_GROUPS: Partial<Record<ServiceName, string>> = {
  'collab-worker': 'collab workers',
  gateway: 'gateways',
};

/**
 * Tandem in distributed mode on the servers of `pnpm infra:up`: gateways, collab workers
 * and the api as separate processes (infra/cluster), editors spread over the gateways, ops
 * durable in Cassandra before their ack. CPU and memory are summed over every process of
 * the cluster and of its infrastructure; the CPU is also reported per process.
 */
export function clusterTarget(name: string, shape: { gateways: number; workers: number }): Target {
  return {
    name,
    client: 'tandem',
    async start(): Promise<RunningTarget> {
      const cluster = await startCluster({
        endpoints: readEndpoints(),
        logDir: await mkdtemp(join(tmpdir(), `tandem-${name}-`)),
        ...shape,
        env: { LOG_LEVEL: 'warn', OPS_PER_SECOND: '10000', MAX_DOCS_PER_SOCKET: '1000' },
        nodeArgs: serverNodeArgs(),
      });
      const token = (user: string) => signToken(cluster.authSecret, { userId: user, name: user });
      const owner = await token('load-owner');
      const call = async (method: string, path: string, body: unknown) => {
        const res = await fetch(`${cluster.apiUrl}${path}`, {
          method,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${owner}` },
          body: JSON.stringify(body),
        });
        if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      };
      const inBatches = async <T>(items: T[], fn: (item: T) => Promise<unknown>) => {
        for (let i = 0; i < items.length; i += 20) await Promise.all(items.slice(i, i + 20).map(fn));
      };
      return {
        urls: cluster.gatewayUrls,
        processes: [
          ...cluster
            .processes()
            .map(({ name, service, pid }) => ({ name, group: SERVICE_GROUPS[service], pid })),
          ...infrastructureProcesses(),
        ],
        createDocs: (docIds, content) =>
          inBatches(docIds, (id) =>
            call('POST', '/api/v1/documents', { id, title: id, type: 'text', content }),
          ),
        async tokenFor(user, docIds) {
          await inBatches(docIds, (id) =>
            call('PUT', `/api/v1/documents/${id}/permissions/${user}`, { role: 'editor' }),
          );
          return token(user);
        },
        stop: () => cluster.stop(),
      };
    },
  };
}
