import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { codePointLength } from '@tandem/client';
import { machineBusySeconds, processTree, processTrees, totalCpuSeconds, totalMemory } from '@tandem/testkit';
import type { ClientDriver, Editor, EditorEvents, TextOp } from './clients/editor.js';
import { sharedbDriver } from './clients/sharedb.js';
import { tandemDriver } from './clients/tandem.js';
import { type CpuGroup, cpuBreakdown } from './cpu-breakdown.js';
import { LatencyTracker } from './latency.js';
import type { RunningTarget, Target } from './targets/index.js';

/**
 * One load step: a fresh server of the target, `docs` documents, `editorsPerDoc` editors
 * (one socket each) on each, every editor submitting single-character inserts and deletes
 * at random positions at `ratePerEditor` ops/s (open loop: the schedule does not wait for
 * acks), for a warm-up and then a measured window; then the editors drain and every
 * document's editors are compared with each other and with the server.
 */
export interface StepSpec {
  /** Shown in progress lines, e.g. `S1` or `R1 step 3`. */
  label: string;
  docs: number;
  editorsPerDoc: number;
  /** Keystrokes per second per editor. */
  ratePerEditor: number;
  warmupMs: number;
  durationMs: number;
  /** Seed of the op generator (positions, characters, insert or delete). */
  seed?: number;
  /** Called with a progress line about once a second; omit for silence. */
  progress?: (line: string) => void;
  /** Longest wait for the editors to join, and for them to drain after the window. */
  joinTimeoutMs?: number;
  drainTimeoutMs?: number;
}

export interface LatencySummary {
  /** Receipts measured: one per keystroke per other editor of its document. */
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface StepResult {
  target: string;
  label: string;
  docs: number;
  editors: number;
  ratePerEditor: number;
  /** editors × ratePerEditor. */
  offeredPerSec: number;
  /** Keystrokes the generator actually submitted during the window, per second. */
  submittedPerSec: number;
  /** Keystrokes acknowledged by the server during the window, per second. */
  committedPerSec: number;
  /** Acknowledged server ops (versions) during the window, per second: fewer than keystrokes when clients composed. */
  commitsPerSec: number;
  latencyMs: LatencySummary;
  /** Server process CPU (user + system) during the window. */
  serverCpuS: number;
  /**
   * serverCpuS by process (a cluster's services and servers, its workers and its gateways
   * each summed), over the same window: the lines add up to serverCpuS. One line for a
   * one-process server.
   */
  cpuBreakdown: CpuGroup[];
  /** serverCpuS / keystrokes committed during the window. */
  cpuUsPerOp: number;
  /** Server VmHWM at the end of the step. */
  peakRssMb: number;
  /** The generator's own CPU during the window, % of one core. */
  generatorCpuPct: number;
  /** p99 and max of the generator's event-loop delay during the window (a stall delays every editor). */
  generatorLoopDelayP99Ms: number;
  generatorLoopDelayMaxMs: number;
  /**
   * CPU used by everything else on the machine during the window (other processes: a
   * busy machine inflates latency), % of one core.
   */
  otherCpuPct: number;
  converged: boolean;
  /** Why not converged, or how long the drain took. */
  convergence: string;
  errors: number;
  errorKinds: Record<string, number>;
  /** Committed versions some editor never reported after the drain (0 when every op reached everyone). */
  unmatchedVersions: number;
  windowS: number;
}

const DRIVERS: Record<Target['client'], ClientDriver> = { tandem: tandemDriver, sharedb: sharedbDriver };

/** Documents start with this much text; inserts and deletes then keep them near this length. */
export const TARGET_LENGTH = 500;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz     ';

/** mulberry32: a small seeded generator, so a run's ops can be replayed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function initialContent(random: () => number): string {
  let s = '';
  for (let i = 0; i < TARGET_LENGTH; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

/**
 * A one-character insert or delete at a random code-point position. Deletes are chosen
 * with probability length / (length + TARGET_LENGTH), which holds documents near TARGET_LENGTH.
 */
export function randomOp(text: string, random: () => number): TextOp {
  const length = codePointLength(text);
  if (length > 0 && random() < length / (length + TARGET_LENGTH)) {
    const pos = Math.floor(random() * length);
    return pos === 0 ? [{ d: 1 }] : [pos, { d: 1 }];
  }
  const pos = Math.floor(random() * (length + 1));
  const ch = ALPHABET[Math.floor(random() * ALPHABET.length)] as string;
  return pos === 0 ? [ch] : [pos, ch];
}

const now = () => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 20 ms; false if it is still not true after `timeoutMs`. */
async function waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (!done()) {
    if (now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Counters shared by all editors of a step, for the measured window. */
class Meter implements EditorEvents {
  windowStart = Number.POSITIVE_INFINITY;
  windowEnd = Number.POSITIVE_INFINITY;
  submittedTotal = 0;
  submittedInWindow = 0;
  committedTotal = 0;
  committedInWindow = 0;
  commitsInWindow = 0;
  errors = 0;
  /** What went wrong, by kind (error code, message), with counts. */
  readonly errorKinds: Record<string, number> = {};

  constructor(readonly tracker: LatencyTracker) {}

  now = now;

  private inWindow(t: number): boolean {
    return t >= this.windowStart && t < this.windowEnd;
  }

  submitted(at: number): void {
    this.submittedTotal++;
    if (this.inWindow(at)) this.submittedInWindow++;
  }

  acked(doc: number, version: number, sends: number[]): void {
    this.committedTotal += sends.length;
    if (this.inWindow(now())) {
      this.committedInWindow += sends.length;
      this.commitsInWindow++;
    }
    this.tracker.ack(doc, version, sends);
  }

  received(doc: number, version: number, at: number): void {
    this.tracker.receive(doc, version, at);
  }

  failed(what: string): void {
    this.errors++;
    this.errorKinds[what] = (this.errorKinds[what] ?? 0) + 1;
  }

  setWindow(start: number, end: number): void {
    this.windowStart = start;
    this.windowEnd = end;
    this.tracker.windowStart = start;
    this.tracker.windowEnd = end;
  }
}

const LOOP_DELAY_RESOLUTION_MS = 10;

/** Largest number of overdue keystrokes one editor submits in one tick before it drops the rest. */
const MAX_CATCH_UP = 20;

export async function runStep(target: Target, spec: StepSpec): Promise<StepResult> {
  const driver = DRIVERS[target.client];
  const random = seededRandom(spec.seed ?? 1);
  const editorCount = spec.docs * spec.editorsPerDoc;
  // Fresh ids each step: a cluster's Postgres outlives it, and would refuse the ids of the step before.
  const run = randomBytes(4).toString('hex');
  const docIds = Array.from({ length: spec.docs }, (_, i) => `load-${run}-${i}`);
  const say = spec.progress ?? (() => {});
  const server: RunningTarget = await target.start();
  const editors: Editor[][] = [];
  try {
    await server.createDocs(docIds, initialContent(random));
    const meter = new Meter(new LatencyTracker(spec.docs, spec.editorsPerDoc - 1));
    for (let d = 0; d < spec.docs; d++) {
      const group: Editor[] = [];
      for (let e = 0; e < spec.editorsPerDoc; e++) {
        const token = await server.tokenFor(`user-${d}-${e}`, [docIds[d] as string]);
        const url = server.urls[(d * spec.editorsPerDoc + e) % server.urls.length] as string;
        group.push(driver.connect(url, token, docIds[d] as string, d, meter));
      }
      editors.push(group);
    }
    const all = editors.flat();
    const joined = await waitFor(
      () => all.every((e) => e.ready),
      spec.joinTimeoutMs ?? 30_000 + 20 * editorCount,
    );
    if (!joined)
      throw new Error(`${all.filter((e) => !e.ready).length} of ${editorCount} editors did not join`);

    // The schedule: every editor every 1/rate s, from a random phase.
    const interval = 1000 / spec.ratePerEditor;
    const tickMs = Math.max(1, Math.min(5, Math.floor(interval / 3)));
    const start = now();
    const next = all.map(() => start + random() * interval);
    const rngs = all.map((_, i) => seededRandom((spec.seed ?? 1) * 7919 + i));
    let windowOpen = false;
    // Per process of the server, so that the breakdown and the total come from the same readings.
    let serverTrees: number[][] = [];
    let cpu0: number[] = [];
    let busy0 = 0;
    let gen0 = process.cpuUsage();
    let dropped = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    let windowEndedAt = 0;
    let cpu1: number[] = [];
    let busy1 = 0;
    let gen1 = { user: 0, system: 0 };
    let nextProgress = start + 1000;

    await new Promise<void>((resolve, reject) => {
      const tick = () => {
        try {
          if (step()) setTimeout(tick, tickMs);
          else resolve();
        } catch (err) {
          loopDelay.disable();
          reject(err); // e.g. the server process died, so /proc/<pid> is gone
        }
      };
      /** One tick of the schedule; false once the window is over. */
      const step = (): boolean => {
        const t = now();
        if (!windowOpen && t >= start + spec.warmupMs) {
          windowOpen = true;
          meter.setWindow(t, t + spec.durationMs);
          serverTrees = processTrees(server.processes.map((p) => p.pid));
          cpu0 = serverTrees.map((pids) => totalCpuSeconds(pids));
          busy0 = machineBusySeconds();
          gen0 = process.cpuUsage();
          loopDelay.enable();
        }
        if (windowOpen && t >= meter.windowEnd) {
          windowEndedAt = t;
          cpu1 = serverTrees.map((pids) => totalCpuSeconds(pids));
          busy1 = machineBusySeconds();
          gen1 = process.cpuUsage(gen0);
          loopDelay.disable();
          return false;
        }
        for (let i = 0; i < all.length; i++) {
          const editor = all[i] as Editor;
          let due = next[i] as number;
          let n = 0;
          while (due <= t && n < MAX_CATCH_UP) {
            try {
              editor.submit(randomOp(editor.text, rngs[i] as () => number));
            } catch (err) {
              meter.failed(`submit: ${(err as Error).message}`);
            }
            due += interval;
            n++;
          }
          if (t - due > 1000) {
            dropped += Math.floor((t - due) / interval);
            due = t;
          }
          next[i] = due;
        }
        if (t >= nextProgress) {
          nextProgress += 1000;
          const phase = windowOpen ? '' : ' (warm-up)';
          say(
            `${spec.label.padEnd(12)} ${target.name.padEnd(17)} ${((t - start) / 1000).toFixed(1).padStart(5)} s / ${((spec.warmupMs + spec.durationMs) / 1000).toFixed(0)} s  ops sent ${meter.submittedTotal}  committed ${meter.committedTotal}${phase}`,
          );
        }
        return true;
      };
      tick();
    });

    // Drain: no more keystrokes; wait until nothing is pending and each document's editors agree on the version.
    const drainStart = now();
    const quiet = await waitFor(
      () =>
        editors.every((group) => {
          const v = (group[0] as Editor).version;
          return group.every((e) => !e.pending && e.version === v);
        }),
      spec.drainTimeoutMs ?? 30_000,
    );
    const drainMs = now() - drainStart;
    const serverDocs = await driver.readServer(
      server.urls[0] as string,
      await server.tokenFor('load-observer', docIds),
      docIds,
    );
    let convergence = quiet
      ? `drained in ${drainMs.toFixed(0)} ms`
      : `did not drain in ${drainMs.toFixed(0)} ms`;
    let converged = quiet;
    for (let d = 0; d < spec.docs && converged; d++) {
      const truth = serverDocs.get(docIds[d] as string);
      const group = editors[d] as Editor[];
      const bad = group.findIndex((e) => !truth || e.text !== truth.text || e.version !== truth.version);
      if (bad >= 0) {
        converged = false;
        const e = group[bad] as Editor;
        convergence = `${docIds[d]}: editor ${bad} at version ${e.version} (${codePointLength(e.text)} code points), server at ${truth?.version} (${truth ? codePointLength(truth.text) : '?'} code points)`;
      }
    }
    const memory = totalMemory(processTree(server.processes.map((p) => p.pid)));
    const windowS = (windowEndedAt - meter.windowStart) / 1000;
    const h = meter.tracker.histogram;
    const processCpu = server.processes.map(({ name, group }, i) => ({
      name,
      group,
      cpuS: (cpu1[i] as number) - (cpu0[i] as number),
    }));
    const serverCpuS = processCpu.reduce((sum, p) => sum + p.cpuS, 0);
    const generatorCpuS = (gen1.user + gen1.system) / 1e6;
    if (dropped > 0) {
      meter.errors += dropped;
      meter.errorKinds['keystrokes dropped: generator over 1 s behind'] = dropped;
    }
    return {
      target: target.name,
      label: spec.label,
      docs: spec.docs,
      editors: editorCount,
      ratePerEditor: spec.ratePerEditor,
      offeredPerSec: editorCount * spec.ratePerEditor,
      submittedPerSec: meter.submittedInWindow / windowS,
      committedPerSec: meter.committedInWindow / windowS,
      commitsPerSec: meter.commitsInWindow / windowS,
      latencyMs: {
        samples: h.count,
        p50: h.quantile(0.5),
        p95: h.quantile(0.95),
        p99: h.quantile(0.99),
        max: h.count ? h.max : Number.NaN,
        mean: h.mean,
      },
      serverCpuS,
      cpuUsPerOp: meter.committedInWindow ? (serverCpuS * 1e6) / meter.committedInWindow : Number.NaN,
      cpuBreakdown: cpuBreakdown(processCpu, meter.committedInWindow),
      peakRssMb: memory.peakRssMb,
      generatorCpuPct: (generatorCpuS / windowS) * 100,
      // The histogram holds whole timer periods: the delay is what exceeds the resolution.
      generatorLoopDelayP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS),
      generatorLoopDelayMaxMs: Math.max(0, loopDelay.max / 1e6 - LOOP_DELAY_RESOLUTION_MS),
      otherCpuPct: Math.max(0, ((busy1 - busy0 - serverCpuS - generatorCpuS) / windowS) * 100),
      converged,
      convergence,
      errors: meter.errors,
      errorKinds: meter.errorKinds,
      unmatchedVersions: meter.tracker.unmatched,
      windowS,
    };
  } finally {
    for (const editor of editors.flat()) editor.close();
    await server.stop();
  }
}
