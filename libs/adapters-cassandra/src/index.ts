export {
  type CassandraOptions,
  type ConsistencyName,
  connectCassandra,
  createCassandraClient,
} from './client.js';
export { CASSANDRA_MIGRATIONS_DIR, type MigrateOptions, migrateCassandra } from './migrate.js';
export { CassandraOpLog, type CassandraOpLogOptions, DEFAULT_BUCKET_SIZE } from './op-log.js';
