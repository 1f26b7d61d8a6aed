import { seedFromEnv } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { Editing, startTestCluster } from './harness.js';

/**
 * Contract item 1 across processes: clients of the same documents on different gateways,
 * whose ops reach the documents' workers through Redis and come back over each document's
 * channel, end with the same content, which is the replay of the op log. The op choices
 * are seeded (CLUSTER_SEED=<seed> replays them; the interleaving is the network's).
 */
describe('cluster: clients on different gateways', () => {
  it('converge on every document, and the content is the replay of the op log', async () => {
    const seed = seedFromEnv('CLUSTER_SEED', Math.floor(Math.random() * 2 ** 31));
    console.log(`cluster convergence seed: ${seed} (replay the op choices with CLUSTER_SEED=${seed})`);
    const tc = await startTestCluster('convergence');
    const ed = await Editing.open(tc, {
      types: ['text', 'rich-text', 'json1', 'text', 'json1'],
      clients: 4,
      mode: 'random',
      seed,
      pauseMs: [5, 30],
    });
    ed.start();
    await ed.more(600, 'in all');
    await ed.stop();
    const logs = await ed.verify(`seed ${seed}`);
    const versions = [...logs.values()].map((log) => log.length);
    console.log(`cluster convergence: ${ed.acked()} acks; documents at versions ${versions.join(', ')}`);
    // Every document has ops from the clients of both gateways.
    for (const [docId, log] of logs) {
      const gateways = new Set(
        ed
          .editorsOf([docId])
          .filter((e) => log.some((r) => r.clientId === e.live.client.clientId))
          .map((e) => e.gateway),
      );
      expect(gateways.size, `gateways whose clients edited ${docId}`).toBe(2);
    }
  }, 180_000);
});
