import { randomBytes } from 'node:crypto';
import { createCassandraClient } from '@tandem/adapters-cassandra';
import { InProcessFanOut, MemoryDocStateStore } from '@tandem/adapters-memory';
import { CollabEngine } from '@tandem/core';
import {
  openCassandraOpLog,
  openKafkaEvents,
  openPostgresStores,
  openS3Snapshots,
} from '@tandem/distributed';
import { silentLogger } from '@tandem/logging';
import { readEndpoints } from '@tandem/testkit';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SnapshotServiceConfig, snapshotServiceConfig } from '../src/config.js';
import { startSnapshotService } from '../src/snapshot-service.js';

// The service against the real Kafka, Cassandra, S3 and Postgres of `pnpm infra:up`, in a
// namespace of this run's own: a Postgres database, a Cassandra keyspace and a Kafka topic,
// dropped afterwards (snapshots go to the shared bucket under this run's document ids, and
// are purged).

const namespace = `snap_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const log = silentLogger();
let config: SnapshotServiceConfig;
let adminUrl: string;

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const endpoints = readEndpoints();
  adminUrl = endpoints.postgres.url;
  await withClient(adminUrl, (client) =>
    client.query(
      `CREATE DATABASE ${namespace} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.UTF-8'`,
    ),
  );
  const url = new URL(adminUrl);
  url.pathname = `/${namespace}`;
  config = snapshotServiceConfig.parse({
    PORT: '0',
    POSTGRES_URL: url.toString(),
    CASSANDRA_CONTACT_POINTS: endpoints.cassandra.contactPoints.join(','),
    CASSANDRA_LOCAL_DC: endpoints.cassandra.localDataCenter,
    CASSANDRA_KEYSPACE: namespace,
    KAFKA_BROKERS: endpoints.kafka.brokers.join(','),
    KAFKA_TOPIC: `${namespace}.doc.operations`,
    KAFKA_PARTITIONS: '2',
    S3_ENDPOINT: endpoints.s3.endpoint,
    S3_REGION: endpoints.s3.region,
    S3_ACCESS_KEY_ID: endpoints.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: endpoints.s3.secretAccessKey,
    S3_BUCKET: endpoints.s3.bucket,
    S3_FORCE_PATH_STYLE: String(endpoints.s3.forcePathStyle),
    SNAPSHOT_AFTER_MS: '1000',
  });
}, 60_000);

afterAll(async () => {
  if (!config) return;
  const endpoints = readEndpoints();
  await withClient(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${namespace} WITH (FORCE)`));
  const cassandra = createCassandraClient(
    {
      contactPoints: endpoints.cassandra.contactPoints,
      localDataCenter: endpoints.cassandra.localDataCenter,
      keyspace: namespace,
    },
    null,
  );
  try {
    await cassandra.execute(`DROP KEYSPACE IF EXISTS ${namespace}`);
  } finally {
    await cassandra.shutdown();
  }
  const admin = new Kafka({ brokers: endpoints.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [config.KAFKA_TOPIC] });
  } finally {
    await admin.disconnect();
  }
}, 60_000);

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('snapshot service', () => {
  it('snapshots from Kafka events, and catches up on what was edited while it was stopped', async () => {
    // A collab worker's side of it: the engine over the same op log, snapshots and topic.
    const pgStores = await openPostgresStores(config, log);
    const cassandra = await openCassandraOpLog(config);
    const snapshots = await openS3Snapshots(config, log);
    const events = openKafkaEvents(config, log);
    const engine = new CollabEngine({
      state: new MemoryDocStateStore(),
      opLog: cassandra.opLog,
      snapshots,
      fanOut: new InProcessFanOut(),
      events,
      metadata: pgStores.metadata,
    });
    const doc = `doc-${namespace}`;
    let service = await startSnapshotService(config, log);
    try {
      await pgStores.metadata.create({ id: doc, title: 'T', type: 'text', ownerId: 'ann' });
      await engine.initDocument(doc, 'text', 'start:');
      engine.emit([{ type: 'doc.created', docId: doc, docType: 'text', title: 'T', ownerId: 'ann', at: 0 }]);
      let version = 0;
      const type = async (n: number) => {
        for (let i = 0; i < n; i++) {
          const op = [6 + version, String.fromCharCode(97 + (version % 26))];
          const result = await engine.submit({
            docId: doc,
            userId: 'ann',
            clientId: 'c',
            seq: version + 1,
            baseVersion: version,
            op,
          });
          version = result.version;
        }
      };
      const recorded = async () => (await pgStores.metadata.snapshotState(doc))?.latestSnapshot;

      await type(150);
      await waitFor('the snapshot at 100', async () => (await recorded()) === 100);
      expect((await pgStores.metadata.snapshotState(doc))?.initial).toEqual({ content: 'start:' });

      // Stopped while the document is edited: its events wait in Kafka. On a busy machine the
      // 150 ops may take longer than SNAPSHOT_AFTER_MS, so an activity snapshot at 150 may
      // have come before the stop.
      await service.close();
      const beforeStop = await recorded();
      expect([100, 150]).toContain(beforeStop);
      await type(260);
      expect(await recorded()).toBe(beforeStop);

      // Without the start-up check, so that only Kafka (the group's committed offsets) can
      // bring back what was missed.
      service = await startSnapshotService({ ...config, SNAPSHOT_CATCH_UP: false }, log);
      await waitFor('the snapshot at 410', async () => (await recorded()) === 410);
      const content = (await engine.open(doc)).snapshot;
      expect(await snapshots.latest(doc)).toEqual({ docId: doc, version: 410, type: 'text', data: content });
      for (const v of [100, 200, 300, 400]) expect((await snapshots.latest(doc, v))?.version).toBe(v);
      expect(await engine.contentAt(doc, 333)).toBe(
        `start:${Array.from({ length: 333 }, (_, v) => String.fromCharCode(97 + (v % 26))).join('')}`,
      );

      const metrics = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();
      expect(metrics).toMatch(/^tandem_snapshots_written_total\{reason="ops"[^}]*\} 3$/m);
      // Counted by this run of the service: the activity snapshot at 410 only.
      expect(metrics).toMatch(/^tandem_snapshots_written_total\{reason="activity"[^}]*\} 1$/m);

      engine.emit([{ type: 'doc.deleted', docId: doc, at: 0 }]);
      await pgStores.metadata.remove(doc);
      await waitFor('the purge', async () => (await snapshots.latest(doc)) === null);
    } finally {
      await service.close();
      await engine.close();
      await events.close();
      snapshots.close();
      await cassandra.close();
      await pgStores.close();
    }
  }, 180_000);
});
