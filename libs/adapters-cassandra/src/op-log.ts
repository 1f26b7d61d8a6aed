import { assertSameOps, type ClientSeq, type OpLog, type OpRecord } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { type Client, types } from 'cassandra-driver';
import { call } from './client.js';

export interface CassandraOpLogOptions {
  /**
   * Versions per partition. 10,000 ops of a typical few dozen bytes make a partition of
   * about a megabyte: large enough that reading a document's recent tail touches one or two
   * partitions, small enough that a document edited for years never makes a wide one.
   * Recorded in the keyspace on first use; opening with a different size is refused.
   */
  bucketSize?: number;
}

export const DEFAULT_BUCKET_SIZE = 10_000;

/**
 * Op text per batch. One document's batch is one mutation of one partition, and Cassandra
 * refuses a mutation larger than half a commit-log segment (16 MiB by default); ops can be
 * 160 KiB each, so a large batch is split into batches of about this size.
 */
const MAX_BATCH_BYTES = 1 << 20;

/** Documents whose registered buckets this process remembers (it skips re-registering them). */
const MAX_REMEMBERED_DOCS = 100_000;

/** Buckets read at once when looking for a client's newest op. */
const BUCKETS_PER_LOOKUP = 16;

const CQL = {
  insert:
    'INSERT INTO op_log (doc_id, bucket, version, op, author, client_id, seq, ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  setClient: 'UPDATE op_log USING TIMESTAMP ? SET clients[?] = ? WHERE doc_id = ? AND bucket = ?',
  existing:
    'SELECT version, client_id, seq FROM op_log WHERE doc_id = ? AND bucket = ? AND version >= ? AND version <= ?',
  range:
    'SELECT version, op, author, client_id, seq, ts FROM op_log ' +
    'WHERE doc_id = ? AND bucket = ? AND version >= ? AND version <= ?',
  newest: 'SELECT version FROM op_log WHERE doc_id = ? AND bucket = ? ORDER BY version DESC LIMIT 1',
  client: 'SELECT clients[?] AS last FROM op_log WHERE doc_id = ? AND bucket = ? LIMIT 1',
  buckets: 'SELECT bucket FROM op_log_buckets WHERE doc_id = ?',
  addBucket: 'INSERT INTO op_log_buckets (doc_id, bucket) VALUES (?, ?)',
  purgeBucket: 'DELETE FROM op_log WHERE doc_id = ? AND bucket = ?',
  purgeBuckets: 'DELETE FROM op_log_buckets WHERE doc_id = ?',
  setting: 'INSERT INTO op_log_settings (name, value) VALUES (?, ?) IF NOT EXISTS',
};

/** Every statement here is safe to run twice, so the driver may retry it after a timeout. */
const IDEMPOTENT = { prepare: true, isIdempotent: true } as const;

type Long = types.Long;

/**
 * The op log in Cassandra (infra/migrations/cassandra/0001_op_log.cql), partitioned by
 * (document, bucket of versions) and clustered by version.
 *
 * An append costs two round trips whatever its size: it reads which of its versions are
 * already stored (and registers a new bucket) at once, then writes the others with each
 * client's newest seq in one unlogged batch per partition, which Cassandra applies
 * atomically. Plain INSERTs would overwrite a stored op, and a conditional insert (IF NOT
 * EXISTS) costs a Paxos round per batch, so the read is what keeps the first write of a
 * version and refuses a fork. It sees every earlier append; two appends of different ops
 * at one version racing each other are not caught here, which the state store's version
 * check (the serialization point) already rules out.
 *
 * purge() is final: the client entries it deletes were written with their seq as
 * timestamp, so its tombstone also hides entries later written under the same document id.
 * Document ids are random and never reused.
 */
export class CassandraOpLog implements OpLog {
  /** Per document, the buckets this process registered in op_log_buckets; oldest-used first. */
  private readonly registered = new Map<string, Set<number>>();

  private constructor(
    private readonly client: Client,
    readonly bucketSize: number,
  ) {}

  /** An op log on a connected client whose keyspace was migrated (migrateCassandra). */
  static async open(client: Client, options: CassandraOpLogOptions = {}): Promise<CassandraOpLog> {
    const bucketSize = options.bucketSize ?? DEFAULT_BUCKET_SIZE;
    if (!Number.isSafeInteger(bucketSize) || bucketSize < 1) {
      throw new TandemError('CONFIG_INVALID', `Bucket size must be a positive integer, got ${bucketSize}`);
    }
    const result = await call('read the op log settings', () =>
      client.execute(CQL.setting, ['bucket_size', String(bucketSize)], { prepare: true }),
    );
    const stored = result.wasApplied() ? String(bucketSize) : String(result.first()?.get('value'));
    if (stored !== String(bucketSize)) {
      throw new TandemError(
        'CONFIG_INVALID',
        `The op log in keyspace ${client.keyspace} uses bucket size ${stored}, not ${bucketSize}`,
        { details: { stored, configured: bucketSize } },
      );
    }
    return new CassandraOpLog(client, bucketSize);
  }

  async append(docId: string, records: readonly OpRecord[]): Promise<void> {
    if (records.length === 0) return;
    const byBucket = new Map<number, OpRecord[]>();
    for (const r of records) {
      const bucket = this.bucketOf(r.version);
      const group = byBucket.get(bucket);
      if (group) group.push(r);
      else byBucket.set(bucket, [r]);
    }
    const checked = await Promise.all(
      [...byBucket].map(([bucket, group]) => this.appendToBucket(docId, bucket, group)),
    );
    assertSameOps(
      docId,
      checked.flatMap((c) => c.again),
      checked.flatMap((c) => c.stored),
    );
  }

  /** Stores the versions of `group` the bucket lacks; returns those it already had, and what it had. */
  private async appendToBucket(docId: string, bucket: number, group: OpRecord[]) {
    const versions = group.map((r) => r.version);
    const [existing] = await Promise.all([
      call('read stored versions', () =>
        this.client.execute(
          CQL.existing,
          [docId, bucket, Math.min(...versions), Math.max(...versions)],
          IDEMPOTENT,
        ),
      ),
      this.register(docId, bucket),
    ]);
    const stored = existing.rows.map((row) => ({
      version: num(row.get('version')),
      clientId: row.get('client_id') as string,
      seq: num(row.get('seq')),
    }));
    const have = new Set(stored.map((s) => s.version));
    const fresh = group.filter((r) => !have.has(r.version));
    await Promise.all(this.batches(docId, bucket, fresh).map((batch) => this.write(batch)));
    return { again: group.filter((r) => have.has(r.version)), stored };
  }

  /**
   * Lists the bucket in op_log_buckets before its first op is written, so the newest listed
   * bucket is never older than the newest op. Skipped when this process already did it.
   */
  private async register(docId: string, bucket: number): Promise<void> {
    const known = this.registered.get(docId);
    if (known?.has(bucket)) {
      this.registered.delete(docId);
      this.registered.set(docId, known);
      return;
    }
    await call('register a bucket', () => this.client.execute(CQL.addBucket, [docId, bucket], IDEMPOTENT));
    const buckets = known ?? new Set<number>();
    buckets.add(bucket);
    this.registered.delete(docId);
    this.registered.set(docId, buckets);
    if (this.registered.size > MAX_REMEMBERED_DOCS) {
      const oldest = this.registered.keys().next().value;
      if (oldest !== undefined) this.registered.delete(oldest);
    }
  }

  /** The records as batches of at most MAX_BATCH_BYTES of ops, each with the newest seq of its clients. */
  private batches(docId: string, bucket: number, records: OpRecord[]): Statement[][] {
    const batches: Statement[][] = [];
    let inserts: Statement[] = [];
    let newest = new Map<string, OpRecord>();
    let bytes = 0;
    const flush = () => {
      const clients = [...newest.values()].map((r) => ({
        query: CQL.setClient,
        params: [r.seq, r.clientId, types.Tuple.fromArray([r.seq, r.version]), docId, bucket],
      }));
      batches.push([...inserts, ...clients]);
      inserts = [];
      newest = new Map();
      bytes = 0;
    };
    for (const r of records) {
      const op = JSON.stringify(r.op);
      const size = Buffer.byteLength(op);
      if (bytes > 0 && bytes + size > MAX_BATCH_BYTES) flush();
      inserts.push({
        query: CQL.insert,
        params: [docId, bucket, r.version, op, r.author, r.clientId, r.seq, r.ts],
      });
      const prev = newest.get(r.clientId);
      if (!prev || prev.seq < r.seq) newest.set(r.clientId, r);
      bytes += size;
    }
    if (inserts.length > 0) flush();
    return batches;
  }

  private async write(batch: Statement[]): Promise<void> {
    await call('append ops', () => this.client.batch(batch, { ...IDEMPOTENT, logged: false }));
  }

  async read(docId: string, from: number, to?: number): Promise<OpRecord[]> {
    const first = Math.max(1, from);
    const last = to ?? Number.MAX_SAFE_INTEGER;
    if (last < first) return [];
    const fromBucket = this.bucketOf(first);
    const toBucket = this.bucketOf(last);
    const buckets =
      fromBucket === toBucket
        ? [fromBucket]
        : (await this.buckets(docId)).filter((b) => b >= fromBucket && b <= toBucket).reverse();
    const parts = await Promise.all(buckets.map((b) => this.readBucket(docId, b, first, last)));
    return parts.flat();
  }

  private readBucket(docId: string, bucket: number, first: number, last: number): Promise<OpRecord[]> {
    return call('read ops', async () => {
      const result = await this.client.execute(CQL.range, [docId, bucket, first, last], IDEMPOTENT);
      const records: OpRecord[] = [];
      // Iterating fetches the following pages of a long range.
      for await (const row of result) {
        records.push({
          version: num(row.get('version')),
          op: JSON.parse(row.get('op') as string),
          author: row.get('author') as string,
          clientId: row.get('client_id') as string,
          seq: num(row.get('seq')),
          ts: num(row.get('ts')),
        });
      }
      return records;
    });
  }

  async latestVersion(docId: string): Promise<number> {
    // The newest listed bucket is empty only when an append failed after registering it.
    for (const bucket of await this.buckets(docId)) {
      const row = (
        await call('read the latest version', () =>
          this.client.execute(CQL.newest, [docId, bucket], IDEMPOTENT),
        )
      ).first();
      if (row) return num(row.get('version'));
    }
    return 0;
  }

  async lastOfClient(docId: string, clientId: string): Promise<ClientSeq | null> {
    // A client's seqs grow with the versions it commits at, so its newest op is in the
    // newest bucket it wrote in.
    const buckets = await this.buckets(docId);
    for (let i = 0; i < buckets.length; i += BUCKETS_PER_LOOKUP) {
      const found = await Promise.all(
        buckets.slice(i, i + BUCKETS_PER_LOOKUP).map(async (bucket) => {
          const result = await call('read a client seq', () =>
            this.client.execute(CQL.client, [clientId, docId, bucket], IDEMPOTENT),
          );
          return result.first()?.get('last') as types.Tuple | null | undefined;
        }),
      );
      const last = found.find((t) => t != null);
      if (last) return { seq: num(last.get(0)), version: num(last.get(1)) };
    }
    return null;
  }

  async purge(docId: string): Promise<void> {
    const buckets = await this.buckets(docId);
    await Promise.all(
      buckets.map((bucket) =>
        call('purge ops', () => this.client.execute(CQL.purgeBucket, [docId, bucket], IDEMPOTENT)),
      ),
    );
    await call('purge buckets', () => this.client.execute(CQL.purgeBuckets, [docId], IDEMPOTENT));
    this.registered.delete(docId);
  }

  private bucketOf(version: number): number {
    return Math.floor(version / this.bucketSize);
  }

  /** The document's buckets, newest first. */
  private async buckets(docId: string): Promise<number[]> {
    const result = await call('list buckets', () => this.client.execute(CQL.buckets, [docId], IDEMPOTENT));
    return result.rows.map((row) => num(row.get('bucket')));
  }
}

interface Statement {
  query: string;
  params: unknown[];
}

function num(value: Long | number): number {
  return typeof value === 'number' ? value : value.toNumber();
}
