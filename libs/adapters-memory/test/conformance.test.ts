import {
  docStateStoreConformance,
  eventBusConformance,
  fanOutConformance,
  opLogConformance,
  presenceStoreConformance,
  snapshotStoreConformance,
} from '@tandem/core/conformance';
import {
  InProcessEventBus,
  InProcessFanOut,
  MemoryDocStateStore,
  MemoryOpLog,
  MemoryPresenceStore,
  MemorySnapshotStore,
} from '../src/index.js';

const close = async () => {};

docStateStoreConformance('memory', async () => ({ store: new MemoryDocStateStore(), close }));
opLogConformance('memory', async () => ({ store: new MemoryOpLog(), close }));
snapshotStoreConformance('memory', async () => ({ store: new MemorySnapshotStore(), close }));
presenceStoreConformance('memory', async () => ({ store: new MemoryPresenceStore(), close }));
fanOutConformance('in-process', async () => {
  const fanOut = new InProcessFanOut();
  return { fanOut, other: fanOut, close };
});
eventBusConformance('in-process', async () => ({ bus: new InProcessEventBus(20), close }));
