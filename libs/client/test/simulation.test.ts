import { runSimulation, seedFromEnv } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';

/**
 * Randomized end-to-end runs of the client engine against the reference server.
 * Every run must end with all clients equal to the server, the server equal to the replay
 * of its op log, and each client's ops in the log exactly once with no seq missing.
 *
 * Replay one run with a trace:  SIM_SEED=1234 pnpm test:sim
 * More runs:                    SIM_RUNS=20000 pnpm test:sim
 */
const replaySeed = seedFromEnv('SIM_SEED', -1);
const runs = seedFromEnv('SIM_RUNS', 2000);
const seeds = replaySeed >= 0 ? [replaySeed] : Array.from({ length: runs }, (_, i) => i + 1);

describe('simulation: clients and the reference server converge', () => {
  const coverage = { committed: 0, duplicates: 0, transformed: 0, conflicts: 0, refused: 0 };

  it.each(seeds)('seed %i', (seed) => {
    const trace: string[] = [];
    const result = runSimulation({ seed, log: (line) => trace.push(line) });
    for (const key of Object.keys(coverage) as (keyof typeof coverage)[]) coverage[key] += result.server[key];
    if (replaySeed >= 0) console.log(trace.join('\n'));
    const replay = `replay: SIM_SEED=${seed} pnpm test:sim`;
    expect(result.errors, replay).toEqual([]);
    expect(result.pendingClients, replay).toBe(0);
    for (const doc of result.clientDocs) expect(doc, replay).toEqual(result.serverDoc);
    expect(result.replayed, replay).toEqual(result.serverDoc);
    for (const seqs of result.seqsByClient) {
      expect(seqs, `${replay}: each op once, none missing`).toEqual(seqs.map((_, i) => i + 1));
    }
  });

  it.runIf(replaySeed < 0 && runs >= 500)(
    'the runs resent committed ops, transformed concurrent ops and hit json1 conflicts',
    () => {
      expect(coverage.duplicates).toBeGreaterThan(0);
      expect(coverage.transformed).toBeGreaterThan(coverage.committed / 10);
      expect(coverage.conflicts).toBeGreaterThan(0);
      expect(coverage.refused).toBe(0);
    },
  );
});
