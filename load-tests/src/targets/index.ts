import { clusterTarget } from './cluster-target.js';
import { referenceTarget } from './reference-target.js';
import { sharedbTarget } from './sharedb-target.js';
import { standaloneTarget } from './standalone-target.js';
import type { Target } from './target.js';

export type { RunningTarget, ServerProcess, Target } from './target.js';

/** Every target TARGETS= can name, in the order the tables list them. */
export const TARGETS: readonly Target[] = [
  standaloneTarget,
  referenceTarget,
  sharedbTarget,
  /** Distributed mode (needs `pnpm infra:up`): 2 gateways and 3 workers, as `pnpm cluster:up` runs it. */
  clusterTarget('cluster', { gateways: 2, workers: 3 }),
  /** Many-document throughput by worker count. */
  clusterTarget('cluster-1w', { gateways: 1, workers: 1 }),
  clusterTarget('cluster-2w', { gateways: 1, workers: 2 }),
];

export function targetByName(name: string): Target {
  const target = TARGETS.find((t) => t.name === name);
  if (!target) {
    throw new Error(
      `Unknown target ${JSON.stringify(name)}; known: ${TARGETS.map((t) => t.name).join(', ')}`,
    );
  }
  return target;
}
