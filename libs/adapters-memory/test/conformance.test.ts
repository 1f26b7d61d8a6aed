import {
  docStateStoreConformance,
  eventBusConformance,
  fanOutConformance,
  historyStoreConformance,
  inboxConformance,
  membershipConformance,
  opLogConformance,
  presenceStoreConformance,
  snapshotStoreConformance,
} from '@tandem/core/conformance';
import {
  InProcessEventBus,
  InProcessFanOut,
  InProcessInbox,
  MemoryDocStateStore,
  MemoryHistoryStore,
  MemoryMembership,
  MemoryOpLog,
  MemoryPresenceStore,
  MemorySnapshotStore,
} from '../src/index.js';

const close = async () => {};

docStateStoreConformance('memory', async () => ({ store: new MemoryDocStateStore(), close }));
opLogConformance('memory', async () => ({ store: new MemoryOpLog(), close }));
snapshotStoreConformance('memory', async () => {
  const store = new MemorySnapshotStore();
  return {
    store,
    corrupt: async (docId, version) => {
      if (!store.corrupt(docId, version)) throw new Error(`no snapshot ${docId}@${version} to corrupt`);
    },
    close,
  };
});
presenceStoreConformance('memory', async () => ({ store: new MemoryPresenceStore(), close }));
fanOutConformance('in-process', async () => {
  const fanOut = new InProcessFanOut();
  return { fanOut, other: fanOut, close };
});
eventBusConformance('in-process', async () => ({ bus: new InProcessEventBus(20), close }));
inboxConformance('in-process', async () => {
  const inbox = new InProcessInbox();
  return { inbox, other: inbox, close };
});
membershipConformance('memory', async () => {
  const fleets = new Map<string, MemoryMembership>();
  return {
    async open(group) {
      const first = fleets.get(group);
      const view = new MemoryMembership(first ? { sharedWith: first } : {});
      if (!first) fleets.set(group, view);
      return { membership: view, crash: async () => view.close() };
    },
    close,
  };
});
historyStoreConformance('memory', async () => ({ store: new MemoryHistoryStore(), close }));
