import { createHash } from 'node:crypto';
import {
  BucketAlreadyExists,
  BucketAlreadyOwnedByYou,
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { type Log, type SnapshotStore, type StoredSnapshot, silentLog } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import type { DocTypeName } from '@tandem/ot';

/** Where the S3 server is and how to sign for it. */
export interface S3Connection {
  /** An S3-compatible server (MinIO, s3proxy); omit for AWS itself. */
  endpoint?: string;
  region: string;
  /** Omit both keys to use the SDK's default credentials (environment, instance or pod role). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** bucket in the path rather than the host name, as most S3-compatible servers need. */
  forcePathStyle?: boolean;
}

export interface S3SnapshotStoreOptions extends S3Connection {
  bucket: string;
  /** Prepended to every key (default 'snapshots/'), so that other data or deployments can share the bucket. */
  prefix?: string;
  /** Where skipped corrupt snapshots are reported. */
  log?: Log;
}

/** The object metadata entry (x-amz-meta-sha256) holding the hex SHA-256 of the body. */
const CHECKSUM_KEY = 'sha256';

/**
 * Versions are written as 16 digits: Number.MAX_SAFE_INTEGER has 16, so every version a
 * JS number can hold exactly fits.
 */
const VERSION_DIGITS = 16;

/** Keys asked for per listing in latest(): the first is almost always the answer. */
const LATEST_PAGE = 8;

/** S3's limit on the keys of one DeleteObjects request. */
const DELETE_BATCH = 1000;

const RETRY_AFTER_MS = 1000;

/**
 * The key of a document's snapshot at `version`: `<prefix><docId>/<inverted version>.json`.
 *
 * The version is written zero-padded and inverted digit by digit (9 - d, that is
 * 9999999999999999 - version), because ListObjectsV2 returns keys in ascending byte order
 * and only ever ascending: inverted, the newest snapshot comes first, and StartAfter at
 * the inverted maxVersion makes the first key listed the newest one at or below it. So
 * latest() costs one listing of a few keys and one GET however many snapshots a document
 * has, without an index object that a crash between two writes could leave stale.
 */
export function snapshotKey(prefix: string, docId: string, version: number): string {
  return `${docPrefix(prefix, docId)}${invert(version)}.json`;
}

function docPrefix(prefix: string, docId: string): string {
  // Ids are URL-safe already (see @tandem/protocol's DocId); encoding keeps any other id
  // from containing '/' and so from reaching into another document's keys.
  return `${prefix}${encodeURIComponent(docId)}/`;
}

function invert(version: number): string {
  return String(version)
    .padStart(VERSION_DIGITS, '0')
    .replace(/\d/g, (digit) => String(9 - Number(digit)));
}

/** The version a key under `docPrefix` names, or null for a key this store did not write. */
function versionOf(key: string, prefix: string): number | null {
  if (!key.startsWith(prefix)) return null;
  const name = key.slice(prefix.length);
  if (!/^\d{16}\.json$/.test(name)) return null;
  return Number(name.slice(0, VERSION_DIGITS).replace(/\d/g, (digit) => String(9 - Number(digit))));
}

interface SnapshotBody {
  docId: string;
  version: number;
  type: DocTypeName;
  data: unknown;
}

/**
 * Creates the client, makes sure the bucket exists (creating it if it is missing) and
 * returns the store. close() on the store releases the client.
 */
export async function openS3SnapshotStore(options: S3SnapshotStoreOptions): Promise<S3SnapshotStore> {
  const client = createS3Client(options);
  const store = new S3SnapshotStore(client, options);
  try {
    await store.ensureBucket();
  } catch (err) {
    store.close();
    throw err;
  }
  return store;
}

/**
 * An S3 client for an S3-compatible server as much as for AWS. Checksums are sent and
 * checked only where the S3 API requires them: the SDK's default adds CRC32 headers to
 * every upload, which not every S3-compatible server accepts, and this store checks its
 * own SHA-256 on read anyway.
 */
export function createS3Client(connection: S3Connection): S3Client {
  return new S3Client({
    region: connection.region,
    ...(connection.endpoint === undefined ? {} : { endpoint: connection.endpoint }),
    forcePathStyle: connection.forcePathStyle ?? false,
    ...(connection.accessKeyId === undefined || connection.secretAccessKey === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: connection.accessKeyId,
            secretAccessKey: connection.secretAccessKey,
          },
        }),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/**
 * Snapshots as JSON objects in S3, one per (document, version), keyed so that the newest
 * at or below a version is found without listing them all (see snapshotKey).
 *
 * Each object carries the SHA-256 of its body in its metadata, checked on every read. A
 * snapshot that fails the check (or does not parse, or names another document or version)
 * is skipped with a warning in favour of the one before it: the op log holds every op
 * since, so an older snapshot costs replay time, never content.
 */
export class S3SnapshotStore implements SnapshotStore {
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly log: Log;

  constructor(
    private readonly client: S3Client,
    options: { bucket: string; prefix?: string; log?: Log },
  ) {
    this.bucket = options.bucket;
    const prefix = options.prefix ?? 'snapshots/';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.log = options.log ?? silentLog;
  }

  /** Creates the bucket unless it exists; a concurrent creation by another process is fine. */
  async ensureBucket(): Promise<void> {
    try {
      await this.send(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
      return;
    } catch (err) {
      if (httpStatus(err) !== 404) throw err;
    }
    const region = await this.client.config.region();
    try {
      await this.send(() =>
        this.client.send(
          new CreateBucketCommand({
            Bucket: this.bucket,
            // us-east-1 is the one region that refuses to be named as a location.
            ...(region === 'us-east-1'
              ? {}
              : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
          }),
        ),
      );
    } catch (err) {
      if (!(err instanceof BucketAlreadyOwnedByYou || err instanceof BucketAlreadyExists)) throw err;
    }
  }

  async put(snapshot: StoredSnapshot): Promise<void> {
    checkVersion(snapshot.version);
    const body: SnapshotBody = {
      docId: snapshot.docId,
      version: snapshot.version,
      type: snapshot.type,
      data: snapshot.data,
    };
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    await this.send(() =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: snapshotKey(this.prefix, snapshot.docId, snapshot.version),
          Body: bytes,
          ContentType: 'application/json',
          Metadata: { [CHECKSUM_KEY]: sha256(bytes) },
        }),
      ),
    );
  }

  async latest(docId: string, maxVersion?: number): Promise<StoredSnapshot | null> {
    if (maxVersion !== undefined && maxVersion < 0) return null;
    const prefix = docPrefix(this.prefix, docId);
    // Above the largest version a key can hold (or Infinity), every snapshot qualifies.
    const bounded = maxVersion !== undefined && maxVersion <= Number.MAX_SAFE_INTEGER;
    const max = bounded ? Math.floor(maxVersion) : Number.MAX_SAFE_INTEGER;
    let token: string | undefined;
    do {
      const page = await this.send(() =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            MaxKeys: LATEST_PAGE,
            // Exclusive, and a proper prefix of the key of maxVersion itself, so that key
            // is the first one listed when it exists.
            ...(bounded ? { StartAfter: `${prefix}${invert(max)}` } : {}),
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        ),
      );
      for (const { Key: key } of page.Contents ?? []) {
        const version = key === undefined ? null : versionOf(key, prefix);
        if (key === undefined || version === null || version > max) continue;
        const snapshot = await this.read(docId, version, key);
        if (snapshot) return snapshot;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return null;
  }

  async purge(docId: string): Promise<void> {
    const prefix = docPrefix(this.prefix, docId);
    for (;;) {
      const page = await this.send(() =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: DELETE_BATCH }),
        ),
      );
      const keys = (page.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [object.Key]));
      if (keys.length === 0) return;
      const result = await this.send(() =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
      const failed = result.Errors ?? [];
      if (failed.length > 0) {
        throw new TandemError('UNAVAILABLE', `could not delete ${failed.length} snapshots of ${docId}`, {
          retryAfterMs: RETRY_AFTER_MS,
          details: { docId, errors: failed.slice(0, 5).map((e) => ({ key: e.Key, code: e.Code })) },
        });
      }
    }
  }

  /** Releases the client: the store owns the one it was given. */
  close(): void {
    this.client.destroy();
  }

  /** The snapshot in `key` if it is intact, or null (skipped, with a warning) if not. */
  private async read(docId: string, version: number, key: string): Promise<StoredSnapshot | null> {
    let bytes: Uint8Array;
    let expected: string | undefined;
    try {
      const object = await this.send(() =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key })),
      );
      if (!object.Body) return this.skip(docId, version, key, 'the object has no body');
      bytes = await object.Body.transformToByteArray();
      expected = object.Metadata?.[CHECKSUM_KEY];
    } catch (err) {
      // Purged between the listing and this read: as if it had not been listed.
      if (err instanceof NoSuchKey) return null;
      throw err;
    }
    if (expected === undefined) return this.skip(docId, version, key, 'the object has no checksum');
    const actual = sha256(bytes);
    if (actual !== expected) {
      return this.skip(docId, version, key, 'the checksum does not match', { expected, actual });
    }
    let body: SnapshotBody;
    try {
      body = JSON.parse(Buffer.from(bytes).toString('utf8')) as SnapshotBody;
    } catch {
      return this.skip(docId, version, key, 'the body is not JSON');
    }
    if (body.docId !== docId || body.version !== version) {
      return this.skip(docId, version, key, 'the body is of another snapshot', {
        bodyDocId: body.docId,
        bodyVersion: body.version,
      });
    }
    return { docId, version, type: body.type, data: body.data };
  }

  private skip(
    docId: string,
    version: number,
    key: string,
    reason: string,
    details: Record<string, unknown> = {},
  ): null {
    this.log.warn(
      { docId, version, key, bucket: this.bucket, reason, ...details },
      'skipped a corrupt snapshot',
    );
    return null;
  }

  /**
   * Runs one S3 call. An outage (a network error, a 5xx after the SDK's retries) becomes
   * UNAVAILABLE, retryable; what the server refused on purpose (403, 404) passes through.
   */
  private async send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      const status = httpStatus(err);
      if (status !== undefined && status < 500) throw err;
      throw new TandemError(
        'UNAVAILABLE',
        `S3 bucket ${this.bucket} is unavailable: ${(err as Error).message}`,
        {
          retryAfterMs: RETRY_AFTER_MS,
          details: { bucket: this.bucket, status },
          cause: err,
        },
      );
    }
  }
}

function httpStatus(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}

function checkVersion(version: number): void {
  if (!Number.isSafeInteger(version) || version < 0) {
    throw new TandemError('INTERNAL', `a snapshot version must be a non-negative integer, not ${version}`, {
      details: { version },
    });
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
