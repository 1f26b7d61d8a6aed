export type { SnapshotReason } from './metrics.js';
export { type SnapshotSources, type SteppedSnapshot, snapshotsUpTo } from './snapshot-at.js';
export {
  SNAPSHOTTER_GROUP,
  type Snapshotter,
  type SnapshotterDeps,
  startSnapshotter,
} from './snapshotter.js';
