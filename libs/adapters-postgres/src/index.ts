/**
 * Postgres for distributed mode: documents, permissions, snapshots and search, through
 * the stores of @tandem/adapters-sql over an openPostgres() pool.
 *
 * There is deliberately no Postgres op log: the distributed op log is Cassandra, whose
 * partitions by (document, version bucket) spread a hot workload over nodes, and a second
 * implementation of the one store that holds the source of truth would double what has to
 * be proven durable. Postgres keeps what is relational and read by the API.
 */
export { type OpenPostgresOptions, openPostgres, type PostgresDatabase } from './open.js';
