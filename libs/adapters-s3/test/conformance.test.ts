import { snapshotStoreConformance } from '@tandem/core/conformance';
import { createS3Client, openS3SnapshotStore, snapshotKey } from '../src/index.js';
import { emptyPrefix, overwriteBody, s3Options } from './s3-fixture.js';

// On the real S3 server of `pnpm infra:up`, under a key prefix of this run's own.

snapshotStoreConformance('S3', async () => {
  const options = s3Options();
  const store = await openS3SnapshotStore(options);
  return {
    store,
    corrupt: async (docId, version) => {
      const admin = createS3Client(options);
      try {
        const key = snapshotKey(options.prefix ?? '', docId, version);
        const body = JSON.stringify({ docId, version, type: 'text', data: `corrupted ${version}` });
        await overwriteBody(admin, options, key, body);
      } finally {
        admin.destroy();
      }
    },
    close: async () => {
      const admin = createS3Client(options);
      try {
        await emptyPrefix(admin, options.bucket, options.prefix ?? '');
      } finally {
        admin.destroy();
        store.close();
      }
    },
  };
});
