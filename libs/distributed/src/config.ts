import { env } from '@tandem/config';
import { TandemError } from '@tandem/errors';
import { z } from 'zod';

const list = (what: string) =>
  z
    .string({ error: `required: ${what}` })
    .min(1, `required: ${what}`)
    .transform((value) =>
      value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    );

const hostPorts = z
  .string()
  .regex(/^[^\s:,]+:\d{1,5}(,[^\s:,]+:\d{1,5})*$/, 'comma-separated host:port pairs')
  .transform((value) =>
    value.split(',').map((pair) => {
      const [host, port] = pair.split(':');
      return { host: host as string, port: Number(port) };
    }),
  )
  .optional();

/**
 * The environment variables of distributed mode, shared by every service so that one
 * name means one thing everywhere; each service's config picks the groups it needs.
 */
export const redisConfig = {
  /** One Redis server. */
  REDIS_URL: env.string('redis://127.0.0.1:6379'),
  /** A Redis Cluster's startup nodes (host:port,…); when set, REDIS_URL is not used. */
  REDIS_CLUSTER_NODES: hostPorts,
  /** Key and channel prefix, so that deployments (or test runs) can share a Redis. */
  REDIS_PREFIX: env.string('tandem'),
};

export const cassandraConfig = {
  CASSANDRA_CONTACT_POINTS: list('host:port of one or more Cassandra nodes'),
  CASSANDRA_LOCAL_DC: env.string('datacenter1'),
  CASSANDRA_KEYSPACE: env.string('tandem'),
  /** Replicas per data center of the keyspace when the first worker creates it; production wants 3. */
  CASSANDRA_REPLICATION_FACTOR: env.int(1, 1),
};

export const kafkaConfig = {
  KAFKA_BROKERS: list('host:port of one or more Kafka brokers'),
  KAFKA_TOPIC: env.string('doc.operations'),
  /** Partitions of the topic when it is created: the most consumers one group can spread over. */
  KAFKA_PARTITIONS: env.int(12, 1),
};

export const postgresConfig = {
  POSTGRES_URL: z
    .string({ error: 'required: a postgres:// URL' })
    .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL'),
};

export const s3Config = {
  /** An S3-compatible server (MinIO, s3proxy); unset for AWS S3 itself. */
  S3_ENDPOINT: env.url(),
  S3_REGION: env.string('us-east-1'),
  S3_ACCESS_KEY_ID: env.optionalString(),
  S3_SECRET_ACCESS_KEY: env.optionalString(),
  S3_BUCKET: env.string('tandem'),
  S3_FORCE_PATH_STYLE: env.bool(true),
};

export const elasticsearchConfig = {
  /** An Elasticsearch 8 node (or several, comma-separated). */
  ELASTICSEARCH_URL: list('http://host:port of one or more Elasticsearch nodes'),
  ELASTICSEARCH_INDEX: env.string('tandem-docs'),
};

export const authConfig = {
  /** HS256 secret for bearer tokens; or JWKS_URL to verify an identity provider's tokens. */
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWKS_URL: env.url(),
  JWT_ISSUER: env.optionalString(),
  JWT_AUDIENCE: env.optionalString(),
};

export const serviceConfig = {
  /** Loopback by default; 0.0.0.0 in a container. */
  HOST: env.string('127.0.0.1'),
  LOG_LEVEL: env.logLevel(),
  /** How long a worker stays a member after its last heartbeat: how soon its documents move when it dies. */
  WORKER_TTL_MS: env.int(3_000, 500),
};

type Infer<Shape extends z.ZodRawShape> = z.infer<z.ZodObject<Shape>>;
export type RedisConfig = Infer<typeof redisConfig>;
export type CassandraConfig = Infer<typeof cassandraConfig>;
export type KafkaConfig = Infer<typeof kafkaConfig>;
export type PostgresConfig = Infer<typeof postgresConfig>;
export type S3Config = Infer<typeof s3Config>;
export type AuthConfig = Infer<typeof authConfig>;
export type ElasticsearchConfig = Infer<typeof elasticsearchConfig>;

/** A service without a way to verify tokens would refuse everyone: say so at start. */
export function requireAuth<T extends AuthConfig>(config: T): T {
  if (!config.AUTH_SECRET && !config.JWKS_URL) {
    throw new TandemError(
      'CONFIG_INVALID',
      'Invalid configuration:\n  AUTH_SECRET, JWKS_URL: one of them must be set (both unset)',
      { details: { variables: ['AUTH_SECRET', 'JWKS_URL'] } },
    );
  }
  return config;
}
