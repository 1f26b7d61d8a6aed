import { CassandraOpLog, connectCassandra, migrateCassandra } from '@tandem/adapters-cassandra';
import { openElasticsearchSearchIndex, readableFromMetadata } from '@tandem/adapters-elasticsearch';
import { KafkaEventBus } from '@tandem/adapters-kafka';
import { openPostgres } from '@tandem/adapters-postgres';
import {
  connectRedis,
  type RedisClient,
  RedisDocStateStore,
  RedisFanOut,
  RedisInbox,
  RedisMembership,
  RedisPresenceStore,
  RedisPubSub,
} from '@tandem/adapters-redis';
import { openS3SnapshotStore } from '@tandem/adapters-s3';
import { SqlHistoryStore, SqlMetadataStore } from '@tandem/adapters-sql';
import { createTokenVerifier, type TokenVerifier } from '@tandem/auth';
import type { CollabMessage } from '@tandem/collab-remote';
import type { Log, MetadataStore } from '@tandem/core';
import type { Logger } from '@tandem/logging';
import type { Registry } from '@tandem/metrics';
import type {
  AuthConfig,
  CassandraConfig,
  ElasticsearchConfig,
  KafkaConfig,
  PostgresConfig,
  RedisConfig,
  S3Config,
} from './config.js';

/** Everything a service keeps on Redis, over one command connection and one Pub/Sub connection. */
export interface RedisBackends {
  client: RedisClient;
  state: RedisDocStateStore;
  fanOut: RedisFanOut;
  inbox: RedisInbox<CollabMessage>;
  workers: RedisMembership;
  presence: RedisPresenceStore;
  close(): Promise<void>;
}

export async function openRedis(config: RedisConfig, log: Log, name: string): Promise<RedisBackends> {
  const target = config.REDIS_CLUSTER_NODES
    ? { nodes: config.REDIS_CLUSTER_NODES }
    : { url: config.REDIS_URL };
  const client = await connectRedis(target, { name, log });
  const pubsub = await RedisPubSub.open(client, { log });
  const prefix = config.REDIS_PREFIX;
  const workers = new RedisMembership(client, pubsub, { group: 'workers', prefix, log });
  return {
    client,
    state: new RedisDocStateStore(client, { prefix }),
    fanOut: new RedisFanOut(pubsub, { prefix, log }),
    inbox: new RedisInbox<CollabMessage>(pubsub, { prefix }),
    workers,
    presence: new RedisPresenceStore(client, { prefix }),
    async close() {
      workers.close();
      pubsub.close();
      client.disconnect();
    },
  };
}

/** The op log: migrates the keyspace (safe when workers start together), then opens it. */
export async function openCassandraOpLog(
  config: CassandraConfig,
): Promise<{ opLog: CassandraOpLog; close(): Promise<void> }> {
  const options = {
    contactPoints: config.CASSANDRA_CONTACT_POINTS,
    localDataCenter: config.CASSANDRA_LOCAL_DC,
    keyspace: config.CASSANDRA_KEYSPACE,
  };
  await migrateCassandra({ ...options, replicationFactor: config.CASSANDRA_REPLICATION_FACTOR });
  const client = await connectCassandra(options);
  const opLog = await CassandraOpLog.open(client);
  return { opLog, close: () => client.shutdown() };
}

export function openKafkaEvents(config: KafkaConfig, logger: Logger, registry?: Registry): KafkaEventBus {
  return new KafkaEventBus({
    brokers: config.KAFKA_BROKERS,
    topic: config.KAFKA_TOPIC,
    partitions: config.KAFKA_PARTITIONS,
    logger,
    ...(registry ? { registry } : {}),
  });
}

export function openS3Snapshots(config: S3Config, log: Log) {
  return openS3SnapshotStore({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    log,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    ...(config.S3_ACCESS_KEY_ID ? { accessKeyId: config.S3_ACCESS_KEY_ID } : {}),
    ...(config.S3_SECRET_ACCESS_KEY ? { secretAccessKey: config.S3_SECRET_ACCESS_KEY } : {}),
  });
}

/** Documents, permissions and timelines on Postgres. */
export async function openPostgresStores(config: PostgresConfig, log: Log) {
  const db = await openPostgres(config.POSTGRES_URL, { log });
  return {
    db,
    metadata: new SqlMetadataStore(db),
    history: new SqlHistoryStore(db),
    close: () => db.close(),
  };
}

/** The search index; who may read what is asked of `metadata` at each search, so a permission change shows at once. */
export function openElasticsearch(config: ElasticsearchConfig, metadata: Pick<MetadataStore, 'list'>) {
  return openElasticsearchSearchIndex({
    node: config.ELASTICSEARCH_URL,
    index: config.ELASTICSEARCH_INDEX,
    readable: readableFromMetadata(metadata),
  });
}

export function tokenVerifier(config: AuthConfig): TokenVerifier {
  if (config.JWKS_URL) {
    return createTokenVerifier({
      jwksUrl: config.JWKS_URL,
      ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
      ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
    });
  }
  return createTokenVerifier({
    secret: config.AUTH_SECRET as string,
    ...(config.JWT_ISSUER ? { issuer: config.JWT_ISSUER } : {}),
    ...(config.JWT_AUDIENCE ? { audience: config.JWT_AUDIENCE } : {}),
  });
}
