/**
 * The scenarios of issue #3, section 6. Fixed ones run once per target; ramps raise the
 * per-editor rate by RAMP_FACTOR per step until p99 latency passes the limit or the
 * server falls behind (committed < 90% of offered).
 */
export interface FixedScenario {
  kind: 'fixed';
  id: string;
  docs: number;
  editorsPerDoc: number;
  ratePerEditor: number;
}

export interface RampScenario {
  kind: 'ramp';
  id: string;
  docs: number;
  editorsPerDoc: number;
  /** Per-editor rate of the first step. */
  startRate: number;
}

export type Scenario = FixedScenario | RampScenario;

export const SCENARIOS: readonly Scenario[] = [
  { kind: 'fixed', id: 'S1', docs: 1, editorsPerDoc: 50, ratePerEditor: 2 },
  { kind: 'fixed', id: 'S2', docs: 100, editorsPerDoc: 5, ratePerEditor: 2 },
  { kind: 'fixed', id: 'S3', docs: 1, editorsPerDoc: 2, ratePerEditor: 200 },
  { kind: 'ramp', id: 'R1', docs: 1, editorsPerDoc: 50, startRate: 1 },
  { kind: 'ramp', id: 'R2', docs: 200, editorsPerDoc: 5, startRate: 0.25 },
];

export function describe(s: Scenario): string {
  const shape = `${s.docs} doc${s.docs === 1 ? '' : 's'} × ${s.editorsPerDoc} editors`;
  if (s.kind === 'fixed') {
    return `${shape} × ${s.ratePerEditor} ops/s = ${s.docs * s.editorsPerDoc * s.ratePerEditor} ops/s offered`;
  }
  return `${shape}, from ${s.startRate} ops/s per editor (${s.docs * s.editorsPerDoc * s.startRate} ops/s)`;
}
