export {
  createS3Client,
  openS3SnapshotStore,
  type S3Connection,
  S3SnapshotStore,
  type S3SnapshotStoreOptions,
  snapshotKey,
} from './snapshots.js';
