import {
  docStateStoreConformance,
  fanOutConformance,
  inboxConformance,
  membershipConformance,
  presenceStoreConformance,
} from '@tandem/core/conformance';
import {
  RedisDocStateStore,
  RedisFanOut,
  RedisInbox,
  RedisMembership,
  RedisPresenceStore,
} from '../src/index.js';
import { openProcess, openRedis, TEST_IDLE_TTL_MS, TEST_PREFIX, type Topology } from './servers.js';

const prefix = TEST_PREFIX;

for (const topology of ['server', 'cluster'] as const satisfies Topology[]) {
  const name = topology === 'server' ? 'Redis' : 'Redis Cluster (3 masters)';

  docStateStoreConformance(name, async () => {
    const client = await openRedis(topology);
    return {
      store: new RedisDocStateStore(client, { prefix, idleTtlMs: TEST_IDLE_TTL_MS }),
      close: async () => void (await client.quit()),
    };
  });

  fanOutConformance(name, async () => {
    const [a, b] = await Promise.all([openProcess(topology), openProcess(topology)]);
    return {
      fanOut: new RedisFanOut(a.pubsub, { prefix }),
      other: new RedisFanOut(b.pubsub, { prefix }),
      close: async () => void (await Promise.all([a.close(), b.close()])),
    };
  });

  presenceStoreConformance(name, async () => {
    const [a, b] = await Promise.all([openRedis(topology), openRedis(topology)]);
    return {
      store: new RedisPresenceStore(a, { prefix }),
      other: new RedisPresenceStore(b, { prefix }),
      close: async () => void (await Promise.all([a.quit(), b.quit()])),
    };
  });

  inboxConformance(name, async () => {
    const [a, b] = await Promise.all([openProcess(topology), openProcess(topology)]);
    return {
      inbox: new RedisInbox(a.pubsub, { prefix }),
      other: new RedisInbox(b.pubsub, { prefix }),
      close: async () => void (await Promise.all([a.close(), b.close()])),
    };
  });

  membershipConformance(name, async () => {
    const client = await openRedis(topology);
    return {
      async open(group) {
        const process = await openProcess(topology);
        const membership = new RedisMembership(process.client, process.pubsub, { prefix, group });
        let crashed = false;
        return {
          membership,
          crash: async () => {
            if (crashed) return;
            crashed = true;
            membership.close();
            await process.close();
          },
        };
      },
      close: async () => void (await client.quit()),
    };
  });
}
