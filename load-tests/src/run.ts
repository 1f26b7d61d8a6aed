import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { runStep, type StepResult, type StepSpec } from './load.js';
import { cpuBreakdownTable, ms, num, rampCpuBreakdownTable, resultTable, table } from './report.js';
import { describe, type RampScenario, SCENARIOS, type Scenario } from './scenarios.js';
import { TARGETS, type Target, targetByName } from './targets/index.js';

/**
 * pnpm load — runs the load scenarios (issue #3, section 6) against each target over
 * WebSocket on 127.0.0.1 and prints a comparison table per scenario.
 *
 *   pnpm load                              all scenarios, all targets
 *   SCENARIOS=S1,S3 DURATION_S=5 pnpm load  (or: pnpm load S1 S3)
 *   TARGETS=sharedb pnpm load R2
 *
 * Environment: SCENARIOS, TARGETS, DURATION_S (10), WARMUP_S (1), P99_LIMIT_MS (50),
 * RAMP_START (the scenario's ops/s per editor), RAMP_FACTOR (1.3), RAMP_MAX_STEPS (16),
 * RAMP_RETRIES (1), SEED (1), OUT (write the results as JSON).
 * load-tests/README.md explains every figure.
 */

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`${name} must be a non-negative number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

const args = process.argv.slice(2).filter((a) => a !== '--');
const scenarioIds = (
  args.length ? args : (process.env.SCENARIOS ?? SCENARIOS.map((s) => s.id).join(',')).split(',')
)
  .map((s) => s.trim().toUpperCase())
  .filter(Boolean);
// A machine that cannot serve a ramp's first step (the whole cluster on 2 cores, say) still
// gets a ceiling when the ramp starts lower.
const rampStart = envNumber('RAMP_START', 0);
const scenarios: Scenario[] = scenarioIds.map((id) => {
  const s = SCENARIOS.find((x) => x.id === id);
  if (!s) {
    console.error(`Unknown scenario ${id}; known: ${SCENARIOS.map((x) => x.id).join(', ')}`);
    process.exit(2);
  }
  return s.kind === 'ramp' && rampStart > 0 ? { ...s, startRate: rampStart } : s;
});
let targets: Target[];
try {
  targets = (process.env.TARGETS ?? TARGETS.map((t) => t.name).join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(targetByName);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const durationMs = envNumber('DURATION_S', 10) * 1000;
const warmupMs = envNumber('WARMUP_S', 1) * 1000;
const p99Limit = envNumber('P99_LIMIT_MS', 50);
const rampFactor = envNumber('RAMP_FACTOR', 1.3);
const rampMaxSteps = Math.max(1, Math.floor(envNumber('RAMP_MAX_STEPS', 16)));
const rampRetries = Math.floor(envNumber('RAMP_RETRIES', 1));
const seed = Math.floor(envNumber('SEED', 1));
if (durationMs <= 0 || rampFactor <= 1) {
  console.error('DURATION_S must be > 0 and RAMP_FACTOR > 1');
  process.exit(2);
}

// Ctrl-C: exit through process.exit so that the servers this run started are killed (child-process.ts).
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

const progress = (line: string) => console.log(`  ${line}`);
const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
console.log(`Tandem load generator — ${machine}`);
console.log(
  `Targets: ${targets.map((t) => t.name).join(', ')}. Scenarios: ${scenarios.map((s) => s.id).join(', ')}. ` +
    `Window ${durationMs / 1000} s after ${warmupMs / 1000} s warm-up per scenario or ramp step.`,
);
console.log(
  'Server and generator share this machine: every editor runs in this process, each server in a child process.\n',
);

interface RampOutcome {
  target: string;
  steps: StepResult[];
  /** Offered ops/s of the last step that passed; 0 if none did. */
  ceiling: number;
  ceilingStep: StepResult | undefined;
  stoppedBecause: string;
  /** False when the ramp ran out of steps before any step failed: the ceiling is higher. */
  reachedLimit: boolean;
}

const fixedResults = new Map<string, StepResult[]>();
const rampResults = new Map<string, RampOutcome[]>();
const summaries: string[] = [];

/**
 * runStep, with a failure (a server that does not start, editors that do not join, a
 * server that dies) turned into a result that did not converge, so the run goes on.
 */
async function tryStep(target: Target, spec: StepSpec): Promise<StepResult> {
  try {
    return await runStep(target, spec);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    console.log(`  ${spec.label} ${target.name}: FAILED: ${message}`);
    const nan = Number.NaN;
    return {
      target: target.name,
      label: spec.label,
      docs: spec.docs,
      editors: spec.docs * spec.editorsPerDoc,
      ratePerEditor: spec.ratePerEditor,
      offeredPerSec: spec.docs * spec.editorsPerDoc * spec.ratePerEditor,
      submittedPerSec: nan,
      committedPerSec: nan,
      commitsPerSec: nan,
      latencyMs: { samples: 0, p50: nan, p95: nan, p99: nan, max: nan, mean: nan },
      serverCpuS: nan,
      cpuUsPerOp: nan,
      cpuBreakdown: [],
      peakRssMb: nan,
      generatorCpuPct: nan,
      generatorLoopDelayP99Ms: nan,
      generatorLoopDelayMaxMs: nan,
      otherCpuPct: nan,
      converged: false,
      convergence: `failed: ${message}`,
      errors: 1,
      errorKinds: { [message]: 1 },
      unmatchedVersions: 0,
      windowS: nan,
    };
  }
}

/** Why a ramp step fails, or undefined when it passes. */
function verdict(r: StepResult): string | undefined {
  if (!r.converged) return r.convergence.startsWith('failed') ? r.convergence : 'not converged';
  if (!(r.latencyMs.p99 <= p99Limit)) return `p99 ${ms(r.latencyMs.p99)} ms > ${p99Limit} ms`;
  if (r.committedPerSec < 0.9 * r.offeredPerSec) return 'committed < 90% of offered';
  return undefined;
}

/** What most likely limited a failing step, as ` (…)`, or '' when nothing stands out. */
function limitHint(r: StepResult): string {
  if ((r.serverCpuS / r.windowS) * 100 >= 90) return ' (server CPU saturated)';
  if (r.generatorCpuPct >= 90 || r.submittedPerSec < 0.95 * r.offeredPerSec) return ' (generator-bound)';
  if (r.generatorLoopDelayMaxMs >= p99Limit / 2) {
    return ` (generator stalled ${ms(r.generatorLoopDelayMaxMs)} ms: GC or descheduled)`;
  }
  if (r.otherCpuPct >= 50) return ' (busy machine: other processes)';
  return '';
}

async function runRamp(s: RampScenario, target: Target): Promise<RampOutcome> {
  const steps: StepResult[] = [];
  let ceilingStep: StepResult | undefined;
  let reachedLimit = false;
  let stoppedBecause = `reached RAMP_MAX_STEPS (${rampMaxSteps})`;
  for (let k = 0; k < rampMaxSteps; k++) {
    const rate = Number((s.startRate * rampFactor ** k).toPrecision(3));
    let why: string | undefined;
    let r: StepResult | undefined;
    // A failing step runs again (RAMP_RETRIES times): one burst of another process on a
    // small machine should not end the ramp. The ramp stops when every attempt fails.
    for (let attempt = 0; attempt <= rampRetries; attempt++) {
      r = await tryStep(target, {
        label: `${s.id} step ${k + 1}${attempt ? ` (again)` : ''}`,
        docs: s.docs,
        editorsPerDoc: s.editorsPerDoc,
        ratePerEditor: rate,
        warmupMs,
        durationMs,
        seed: seed + k + 1000 * attempt,
        progress,
      });
      steps.push({ ...r, label: `${k + 1}${attempt ? ` (again)` : ''}` });
      why = verdict(r);
      console.log(
        `  ${s.id} ${target.name} step ${k + 1}${attempt ? ' (again)' : ''}: ${rate} ops/s per editor = ${num(r.offeredPerSec)} ops/s offered, ` +
          `committed ${num(r.committedPerSec)}, p99 ${ms(r.latencyMs.p99)} ms; CPU: server ${num((r.serverCpuS / r.windowS) * 100)}%, ` +
          `generator ${num(r.generatorCpuPct)}%, other processes ${num(r.otherCpuPct)}% → ${why ? `fails: ${why}${limitHint(r)}` : 'ok'}`,
      );
      if (!why) break;
    }
    if (why || !r) {
      reachedLimit = true;
      stoppedBecause = (why ?? 'no result') + (r ? limitHint(r) : '');
      break;
    }
    ceilingStep = r;
  }
  return {
    target: target.name,
    steps,
    ceiling: ceilingStep?.offeredPerSec ?? 0,
    ceilingStep,
    stoppedBecause,
    reachedLimit,
  };
}

function rampTables(outcomes: RampOutcome[]): string {
  const steps = table(
    [
      'target',
      'step',
      'ops/s/editor',
      'offered ops/s',
      'committed ops/s',
      'commits/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'server CPU',
      'CPU µs/op',
      'peak RSS MB',
      'gen CPU',
      'gen stall ms',
      'other CPU',
      'result',
    ],
    outcomes.flatMap((o) =>
      o.steps.map((r) => [
        o.target,
        r.label,
        String(r.ratePerEditor),
        num(r.offeredPerSec),
        num(r.committedPerSec),
        num(r.commitsPerSec),
        ms(r.latencyMs.p50),
        ms(r.latencyMs.p99),
        ms(r.latencyMs.max),
        `${num((r.serverCpuS / r.windowS) * 100)}%`,
        num(r.cpuUsPerOp),
        num(r.peakRssMb),
        `${num(r.generatorCpuPct)}%`,
        ms(r.generatorLoopDelayMaxMs),
        `${num(r.otherCpuPct)}%`,
        verdict(r) ?? 'ok',
      ]),
    ),
    [false, true, true, true, true, true, true, true, true, true, true, true, true, true, true, false],
  );
  const ceilings = table(
    [
      'target',
      'ceiling ops/s',
      'ops/s/editor',
      'p99 at ceiling ms',
      'CPU µs/op at ceiling',
      'stopped because',
    ],
    outcomes.map((o) => [
      o.target,
      o.ceilingStep
        ? `${o.reachedLimit ? '' : '≥ '}${num(o.ceiling)}`
        : `< ${num(o.steps[0]?.offeredPerSec ?? Number.NaN)}`,
      o.ceilingStep ? String(o.ceilingStep.ratePerEditor) : '-',
      o.ceilingStep ? ms(o.ceilingStep.latencyMs.p99) : '-',
      o.ceilingStep ? num(o.ceilingStep.cpuUsPerOp) : '-',
      o.stoppedBecause,
    ]),
    [false, true, true, true, true, false],
  );
  const sharedb = outcomes.find((o) => o.target === 'sharedb');
  const ratio = outcomes
    .filter((o) => o !== sharedb && sharedb && sharedb.ceiling > 0)
    .map((o) => {
      const bound =
        o.reachedLimit && sharedb?.reachedLimit
          ? ''
          : ' (a ceiling marked ≥ was not reached: raise RAMP_MAX_STEPS)';
      return `\nCeiling ratio ${o.target} / sharedb: ${(o.ceiling / (sharedb as RampOutcome).ceiling).toFixed(2)}×${bound}`;
    })
    .join('');
  return `${steps}\n\n${ceilings}${ratio}`;
}

for (const s of scenarios) {
  console.log(`== ${s.id}: ${describe(s)}`);
  if (s.kind === 'fixed') {
    const results: StepResult[] = [];
    for (const target of targets) {
      const r = await tryStep(target, {
        label: s.id,
        docs: s.docs,
        editorsPerDoc: s.editorsPerDoc,
        ratePerEditor: s.ratePerEditor,
        warmupMs,
        durationMs,
        seed,
        progress,
      });
      results.push(r);
      if (!r.converged || r.errors || r.unmatchedVersions) {
        console.log(
          `  ${target.name}: ${r.convergence}; errors ${JSON.stringify(r.errorKinds)}; unmatched versions ${r.unmatchedVersions}`,
        );
      }
    }
    fixedResults.set(s.id, results);
    const breakdown = cpuBreakdownTable(results);
    const text =
      `${s.id}: ${describe(s)}\n\n${resultTable(results)}` +
      (breakdown ? `\n\n${s.id}: server CPU by process, over the same window\n\n${breakdown}` : '');
    summaries.push(text);
    console.log(`\n${text}\n`);
  } else {
    const outcomes: RampOutcome[] = [];
    for (const target of targets) outcomes.push(await runRamp(s, target));
    rampResults.set(s.id, outcomes);
    const text = `${s.id}: ${describe(s)}, ×${rampFactor} per step, until p99 > ${p99Limit} ms or committed < 90% of offered\n\n${rampTables(outcomes)}`;
    summaries.push(text);
    // Not in the summary: a row per step and a column per process is too much to repeat.
    const breakdown = rampCpuBreakdownTable(outcomes.flatMap((o) => o.steps));
    console.log(
      `\n${text}\n` +
        (breakdown
          ? `\n${s.id}: server CPU by process, µs per committed op (% of the server's CPU)\n\n${breakdown}\n`
          : ''),
    );
  }
}

console.log(`==== Summary (${machine}; window ${durationMs / 1000} s, warm-up ${warmupMs / 1000} s)\n`);
console.log(summaries.join('\n\n'));
if (process.env.OUT) {
  writeFileSync(
    process.env.OUT,
    JSON.stringify(
      {
        machine,
        durationMs,
        warmupMs,
        p99Limit,
        rampFactor,
        fixed: Object.fromEntries(fixedResults),
        ramps: Object.fromEntries(rampResults),
      },
      null,
      2,
    ),
  );
  console.log(`\nResults written to ${process.env.OUT}`);
}
process.exit(0);
