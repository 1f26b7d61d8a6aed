import { randomBytes } from 'node:crypto';
import { readEndpoints } from '@tandem/testkit';
import {
  CassandraOpLog,
  type CassandraOpLogOptions,
  type CassandraOptions,
  connectCassandra,
  createCassandraClient,
  migrateCassandra,
} from '../src/index.js';

/** A keyspace of its own for each test file and run, so runs and files never see each other's data. */
export function uniqueKeyspace(): string {
  return `tandem_test_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** The Cassandra of `pnpm infra:up` (readEndpoints fails, naming it, when it was not started). */
export function testOptions(keyspace: string = uniqueKeyspace()): CassandraOptions {
  const { contactPoints, localDataCenter } = readEndpoints().cassandra;
  return { contactPoints, localDataCenter, keyspace };
}

export async function dropKeyspace(options: CassandraOptions): Promise<void> {
  const admin = createCassandraClient(options, null);
  try {
    await admin.execute(`DROP KEYSPACE IF EXISTS ${options.keyspace}`);
  } finally {
    await admin.shutdown();
  }
}

/** A migrated keyspace of its own and an op log on it; close() drops the keyspace. */
export async function openTestLog(logOptions: CassandraOpLogOptions = {}, options = testOptions()) {
  await migrateCassandra(options);
  const client = await connectCassandra(options);
  const store = await CassandraOpLog.open(client, logOptions);
  return {
    store,
    client,
    options,
    async close() {
      await client.shutdown();
      await dropKeyspace(options);
    },
  };
}
