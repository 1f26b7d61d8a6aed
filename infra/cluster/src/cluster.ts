import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Endpoints } from '@tandem/testkit';
import { freePort, type ServiceName, type ServiceProcess, startService } from './service-process.js';

export interface ClusterOptions {
  endpoints: Endpoints;
  /** Where the services' logs go. */
  logDir: string;
  gateways?: number;
  workers?: number;
  /**
   * Keeps this cluster's data apart from others on the same servers: the Redis prefix, the
   * Cassandra keyspace, the Kafka topic and the S3 bucket are named after it. Default: random.
   */
  namespace?: string;
  /** Extra environment for every service (LOG_LEVEL, limits…). */
  env?: Record<string, string>;
  /** Extra Node flags for every service, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** The HS256 secret of the services' tokens. Default: random. */
  authSecret?: string;
  /** Told of each service as it starts and once it is healthy (for a CLI's progress lines). */
  progress?: (service: string, message: string) => void;
}

export interface Cluster {
  namespace: string;
  /** The HS256 secret the services verify tokens with (sign test users' tokens with it). */
  authSecret: string;
  apiUrl: string;
  /** ws:// URLs of the gateways' /ws endpoints. */
  gatewayUrls: string[];
  api: ServiceProcess;
  /** Keeps Elasticsearch up to date from the Kafka events. */
  searchIndexer: ServiceProcess;
  /** Writes snapshots every 100 ops from the Kafka events. */
  snapshotService: ServiceProcess;
  /** Writes the document timelines from the Kafka events. */
  historyService: ServiceProcess;
  gateways: ServiceProcess[];
  workers: ServiceProcess[];
  /** Every process of the cluster, in start order. */
  processes(): ServiceProcess[];
  /** Starts one more collab worker (it joins the ring). */
  addWorker(): Promise<ServiceProcess>;
  /** Stops every process (SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

/** The environment every service of a cluster shares: where the servers are, and the namespace. */
export function clusterEnv(
  endpoints: Endpoints,
  namespace: string,
  authSecret: string,
): Record<string, string> {
  const { cassandra, elasticsearch, kafka, postgres, redis, s3 } = endpoints;
  return {
    LOG_LEVEL: 'info',
    AUTH_SECRET: authSecret,
    REDIS_URL: redis.url,
    REDIS_PREFIX: namespace,
    POSTGRES_URL: postgres.url,
    CASSANDRA_CONTACT_POINTS: cassandra.contactPoints.join(','),
    CASSANDRA_LOCAL_DC: cassandra.localDataCenter,
    CASSANDRA_KEYSPACE: namespace,
    KAFKA_BROKERS: kafka.brokers.join(','),
    KAFKA_TOPIC: `${namespace}.doc.operations`,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_BUCKET: namespace.replaceAll('_', '-'),
    S3_FORCE_PATH_STYLE: String(s3.forcePathStyle),
    ELASTICSEARCH_URL: elasticsearch.node,
    ELASTICSEARCH_INDEX: `${namespace.toLowerCase()}-docs`,
  };
}

/**
 * Starts a cluster: the workers first (so the ring has members), then the gateways and the
 * api, each a separate process configured by environment variables, as in production.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  mkdirSync(options.logDir, { recursive: true });
  const namespace = options.namespace ?? `t${randomBytes(5).toString('hex')}`;
  const authSecret = options.authSecret ?? randomBytes(32).toString('base64url');
  const env = { ...clusterEnv(options.endpoints, namespace, authSecret), ...options.env };
  const progress = options.progress ?? (() => {});
  const started: ServiceProcess[] = [];
  const launch = async (service: ServiceName, name: string, extraEnv: Record<string, string> = {}) => {
    const began = Date.now();
    const port = await freePort();
    progress(name, `starting on port ${port}`);
    const proc = await startService({
      service,
      name,
      port,
      env: { ...env, ...extraEnv },
      nodeArgs: options.nodeArgs ?? [],
      logDir: options.logDir,
    });
    started.push(proc);
    progress(name, `healthy after ${((Date.now() - began) / 1000).toFixed(1)} s (pid ${proc.pid})`);
    return proc;
  };
  let workerCount = 0;
  const addWorker = () => {
    const n = ++workerCount;
    return launch('collab-worker', `worker-${n}`, { WORKER_ID: `${namespace}-worker-${n}` });
  };
  try {
    // The first worker migrates the keyspace and creates the topic; the others then start together.
    const workers = [await addWorker()];
    workers.push(...(await all(Array.from({ length: (options.workers ?? 3) - 1 }, addWorker))));
    const gateways = await all(
      Array.from({ length: options.gateways ?? 2 }, (_, i) => launch('gateway', `gateway-${i + 1}`)),
    );
    const api = await launch('api', 'api');
    const searchIndexer = await launch('search-indexer', 'search-indexer');
    const snapshotService = await launch('snapshot', 'snapshot');
    const historyService = await launch('history', 'history');
    return {
      namespace,
      authSecret,
      apiUrl: `http://127.0.0.1:${api.port}`,
      gatewayUrls: gateways.map((g) => `ws://127.0.0.1:${g.port}/ws`),
      api,
      searchIndexer,
      snapshotService,
      historyService,
      gateways,
      workers,
      processes: () => [...started],
      async addWorker() {
        const worker = await addWorker();
        workers.push(worker);
        return worker;
      },
      async stop() {
        await stopAll(started);
      },
    };
  } catch (err) {
    await stopAll(started);
    throw err;
  }
}

/** Like Promise.all, but settles every start first, so that none is left running unseen when one fails. */
async function all<T>(starts: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * Stops the gateways and the api before the workers: a call in flight (the api's search
 * indexer reads the content of the documents it indexes) would otherwise wait for a worker
 * until its deadline, holding up the api's drain.
 */
async function stopAll(processes: readonly ServiceProcess[]): Promise<void> {
  const isWorker = (p: ServiceProcess) => p.service === 'collab-worker';
  await Promise.all(processes.filter((p) => !isWorker(p)).map((p) => p.stop()));
  await Promise.all(processes.filter(isWorker).map((p) => p.stop()));
}
