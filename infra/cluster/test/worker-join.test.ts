import { randomBytes } from 'node:crypto';
import { seedFromEnv, waitFor } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import type { ServiceProcess } from '../src/index.js';
import { Editing, metric, owners, startTestCluster } from './harness.js';

const COMMITTED = 'tandem_ops_committed_total';
const ROUNDS = 3;

/**
 * The ops each worker commits while one client makes ROUNDS edits on every document, each
 * acknowledged before the next (so each edit is one op): which worker really serves each
 * document, read from the workers' own counters.
 */
async function commitsPerWorker(ed: Editing, workers: readonly ServiceProcess[]): Promise<number[]> {
  const before = await Promise.all(workers.map((w) => metric(w, COMMITTED)));
  const one = ed.docs.map((d) => ed.editorsOf([d.id])[0]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const e of one) if (e) ed.edit(e);
    await waitFor(() => one.every((e) => !e?.doc.hasPendingOps), 'the edits to be acknowledged', 20_000);
  }
  const after = await Promise.all(workers.map((w) => metric(w, COMMITTED)));
  return after.map((n, i) => n - (before[i] as number));
}

/** What commitsPerWorker must find when each document is served by its owner on the ring. */
function expectedCommits(docIds: readonly string[], members: readonly string[]): number[] {
  const owner = owners(docIds, members);
  return members.map((m) => docIds.filter((id) => owner.get(id) === m).length * ROUNDS);
}

describe('cluster: a worker joins', () => {
  it('moves only its share of the documents, to itself, while editing goes on and converges', async () => {
    const seed = seedFromEnv('CLUSTER_SEED', Math.floor(Math.random() * 2 ** 31));
    console.log(`worker join seed: ${seed} (replay the op choices with CLUSTER_SEED=${seed})`);
    const tc = await startTestCluster('worker-join');
    const { cluster } = tc;
    const members = [1, 2, 3].map((n) => tc.workerId(n) as string);
    const joined = tc.workerId(4);

    // The ring's promise over many document ids: about 1/(N+1) of them move, all to the new member.
    const sample = Array.from({ length: 4000 }, () => randomBytes(16).toString('base64url'));
    const sampleBefore = owners(sample, members);
    const sampleAfter = owners(sample, [...members, joined]);
    const movedSample = sample.filter((id) => sampleBefore.get(id) !== sampleAfter.get(id));
    expect(movedSample.every((id) => sampleAfter.get(id) === joined)).toBe(true);
    expect(movedSample.length / sample.length).toBeGreaterThan(0.2);
    expect(movedSample.length / sample.length).toBeLessThan(0.3);

    const ed = await Editing.open(tc, {
      types: Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 'text' : 'rich-text')),
      clients: 2,
      mode: 'markers',
      seed,
      pauseMs: [40, 120],
    });
    const docIds = ed.docs.map((d) => d.id);
    const before = owners(docIds, members);
    const after = owners(docIds, [...members, joined]);
    const moved = docIds.filter((id) => before.get(id) !== after.get(id));

    // Before the join, each worker serves exactly the documents the ring gives it.
    expect(await commitsPerWorker(ed, cluster.workers)).toEqual(expectedCommits(docIds, members));

    ed.start();
    await ed.more(150, 'before the join');
    const joining = await cluster.addWorker();
    console.log(
      `worker join: ${moved.length} of ${docIds.length} documents move to ${joining.name} ` +
        `(${((100 * movedSample.length) / sample.length).toFixed(1)}% of ${sample.length} sampled ids would)`,
    );
    if (moved.length > 0) {
      await waitFor(
        async () => (await metric(joining, COMMITTED)) > 0,
        'the new worker to commit ops of the documents it took over',
        20_000,
        50,
      );
    }
    await ed.more(150, 'after the join');
    await ed.stop();
    await ed.verify(`seed ${seed}`);

    // After it, the moved documents are served by the new worker and every other one where it was.
    expect(await commitsPerWorker(ed, cluster.workers)).toEqual(
      expectedCommits(docIds, [...members, joined]),
    );
    await ed.verify(`seed ${seed}, after the join`);
  }, 240_000);
});
