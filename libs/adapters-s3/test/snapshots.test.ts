import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Log, StoredSnapshot } from '@tandem/core';
import { TandemError } from '@tandem/errors';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createS3Client,
  openS3SnapshotStore,
  S3SnapshotStore,
  type S3SnapshotStoreOptions,
  snapshotKey,
} from '../src/index.js';
import { deleteBucket, emptyPrefix, overwriteBody, s3Options } from './s3-fixture.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

interface Warning {
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function recordingLog(warnings: Warning[]): Log {
  const ignore = (): void => {};
  return {
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (obj, msg) => warnings.push({ obj: obj as Record<string, unknown>, msg }),
  };
}

/** A store on its own prefix, over a client whose commands are recorded by name. */
function instrumentedStore(warnings: Warning[] = []) {
  const options = s3Options();
  const client = createS3Client(options);
  const commands: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  const admin = createS3Client(options);
  cleanups.push(async () => {
    await emptyPrefix(admin, options.bucket, options.prefix ?? '');
    admin.destroy();
    client.destroy();
  });
  const store = new S3SnapshotStore(client, { ...options, log: recordingLog(warnings) });
  return { store, options, admin, commands };
}

function text(docId: string, version: number, data: string): StoredSnapshot {
  return { docId, version, type: 'text', data };
}

describe('snapshot keys', () => {
  it('sort newest first, so that a listing starts at the newest snapshot', () => {
    const versions = [0, 1, 9, 10, 99, 100, 12_345, 2 ** 31, Number.MAX_SAFE_INTEGER];
    const keys = versions.map((version) => snapshotKey('snapshots/', 'doc-1', version));
    const byteOrder = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(byteOrder).toEqual([...keys].reverse());
  });

  it('keep one document out of the keys of another whose id it starts with', () => {
    expect(snapshotKey('p/', 'doc', 1).startsWith('p/doc/')).toBe(true);
    expect(snapshotKey('p/', 'doc-2', 1).startsWith('p/doc/')).toBe(false);
    expect(snapshotKey('p/', 'a/b', 1).startsWith('p/a/')).toBe(false);
  });
});

describe('S3SnapshotStore on the real S3 server', () => {
  it('finds the newest snapshot at or below a version with one listing and one read', async () => {
    const { store, commands } = instrumentedStore();
    const doc = `doc-${randomBytes(4).toString('hex')}`;
    await Promise.all(Array.from({ length: 40 }, (_, v) => store.put(text(doc, v * 10, `v${v * 10}`))));

    commands.length = 0;
    expect(await store.latest(doc, 255)).toEqual(text(doc, 250, 'v250'));
    expect(commands).toEqual(['ListObjectsV2Command', 'GetObjectCommand']);

    commands.length = 0;
    expect(await store.latest(doc)).toEqual(text(doc, 390, 'v390'));
    expect(commands).toEqual(['ListObjectsV2Command', 'GetObjectCommand']);
  });

  it('skips a snapshot whose body no longer matches its checksum, in favour of the one before', async () => {
    const warnings: Warning[] = [];
    const { store, options, admin } = instrumentedStore(warnings);
    const doc = `doc-${randomBytes(4).toString('hex')}`;
    const prefix = options.prefix ?? '';
    await store.put(text(doc, 1, 'one'));
    await store.put(text(doc, 2, 'two'));

    // Still valid JSON naming the right document and version: only the checksum can tell.
    const key2 = snapshotKey(prefix, doc, 2);
    await overwriteBody(
      admin,
      options,
      key2,
      JSON.stringify({ docId: doc, version: 2, type: 'text', data: 'tw0' }),
    );
    expect(await store.latest(doc)).toEqual(text(doc, 1, 'one'));
    expect(await store.latest(doc, 2)).toEqual(text(doc, 1, 'one'));
    expect(warnings[0]).toMatchObject({
      msg: 'skipped a corrupt snapshot',
      obj: { docId: doc, version: 2, key: key2, reason: 'the checksum does not match' },
    });

    // Written by something else, without a checksum: not trusted either.
    await admin.send(
      new PutObjectCommand({
        Bucket: options.bucket,
        Key: snapshotKey(prefix, doc, 3),
        Body: JSON.stringify({ docId: doc, version: 3, type: 'text', data: 'three' }),
      }),
    );
    expect(await store.latest(doc)).toEqual(text(doc, 1, 'one'));
    expect(warnings.map((w) => w.obj.reason)).toContain('the object has no checksum');

    // Truncated: every snapshot is bad, so there is none.
    await overwriteBody(admin, options, snapshotKey(prefix, doc, 1), '{"docId":');
    expect(await store.latest(doc)).toBeNull();

    // A snapshot put again is whole again.
    await store.put(text(doc, 2, 'two'));
    expect(await store.latest(doc)).toEqual(text(doc, 2, 'two'));
  });

  it('creates its bucket when it is missing, also when two services start at once', async () => {
    const bucket = `tandem-test-${randomBytes(6).toString('hex')}`;
    const options = s3Options({ bucket });
    const admin = createS3Client(options);
    cleanups.push(async () => {
      await deleteBucket(admin, bucket);
      admin.destroy();
    });
    const [a, b] = await Promise.all([openS3SnapshotStore(options), openS3SnapshotStore(options)]);
    await admin.send(new HeadBucketCommand({ Bucket: bucket }));
    await a.put(text('doc-1', 4, 'four'));
    expect(await b.latest('doc-1')).toEqual(text('doc-1', 4, 'four'));
    const again = await openS3SnapshotStore(options);
    expect(await again.latest('doc-1')).toEqual(text('doc-1', 4, 'four'));
    for (const store of [a, b, again]) store.close();
  });
});

describe('S3SnapshotStore without a server', () => {
  it('reports an unreachable server as UNAVAILABLE, retryable', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise((resolve) => server.close(resolve));
    if (address === null || typeof address === 'string') throw new Error('no port');
    const options: S3SnapshotStoreOptions = {
      endpoint: `http://127.0.0.1:${address.port}`,
      forcePathStyle: true,
      region: 'us-east-1',
      accessKeyId: 'tandem',
      secretAccessKey: 'tandem-secret',
      bucket: 'snapshots',
    };
    const store = new S3SnapshotStore(createS3Client(options), options);
    try {
      const err = await store.latest('doc-1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TandemError);
      expect(err).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
    } finally {
      store.close();
    }
  });
});
