import { randomBytes } from 'node:crypto';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { readEndpoints } from '@tandem/testkit';
import type { S3SnapshotStoreOptions } from '../src/index.js';

/**
 * The S3 server of `pnpm infra:up`, as store options under a key prefix of this run's own,
 * so that runs sharing the bucket never see each other's snapshots. Throws, naming what
 * to run, when there is no server.
 */
export function s3Options(overrides: Partial<S3SnapshotStoreOptions> = {}): S3SnapshotStoreOptions {
  const s3 = readEndpoints().s3;
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    forcePathStyle: s3.forcePathStyle,
    bucket: s3.bucket,
    prefix: `test-${process.pid}-${randomBytes(4).toString('hex')}/`,
    ...overrides,
  };
}

/** Deletes every object under `prefix` (the whole bucket when it is ''). */
export async function emptyPrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
    if (keys.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}

export async function deleteBucket(client: S3Client, bucket: string): Promise<void> {
  await emptyPrefix(client, bucket, '');
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Replaces an object's body behind the store's back, keeping its metadata (and so its checksum). */
export async function overwriteBody(
  admin: S3Client,
  options: S3SnapshotStoreOptions,
  key: string,
  body: string,
): Promise<void> {
  const head = await admin.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key }));
  await admin.send(
    new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: body, Metadata: head.Metadata ?? {} }),
  );
}
