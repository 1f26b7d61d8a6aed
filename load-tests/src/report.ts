import { groupLabel } from './cpu-breakdown.js';
import type { StepResult } from './load.js';

/** A Markdown table padded to line up in a terminal too. `right` marks numeric columns. */
export function table(headers: string[], rows: string[][], right: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const cell = (s: string, i: number) =>
    right[i] ? s.padStart(widths[i] as number) : s.padEnd(widths[i] as number);
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** Fixed decimals; `-` for NaN. Large values get thousands separators. */
export function num(x: number, digits = 0): string {
  if (!Number.isFinite(x)) return '-';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds with 2 significant decimals below 10 ms. */
export function ms(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0);
}

/** The per-scenario comparison table. */
export function resultTable(results: StepResult[]): string {
  return table(
    [
      'target',
      'committed ops/s',
      'commits/s',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'max ms',
      'server CPU s',
      'CPU µs/op',
      'peak RSS MB',
      'gen CPU',
      'gen stall ms',
      'other CPU',
      'converged',
    ],
    results.map((r) => [
      r.target,
      num(r.committedPerSec, 0),
      num(r.commitsPerSec, 0),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p95),
      ms(r.latencyMs.p99),
      ms(r.latencyMs.max),
      num(r.serverCpuS, 2),
      num(r.cpuUsPerOp, 0),
      num(r.peakRssMb, 0),
      `${num(r.generatorCpuPct, 0)}%`,
      ms(r.generatorLoopDelayMaxMs),
      `${num(r.otherCpuPct, 0)}%`,
      r.converged ? (r.errors ? `yes (${r.errors} errors)` : 'yes') : 'NO',
    ]),
    [false, true, true, true, true, true, true, true, true, true, true, true, true, false],
  );
}

/** The results of servers of more than one process: the others have nothing to break down. */
function multiProcess(results: readonly StepResult[]): StepResult[] {
  return results.filter((r) => r.cpuBreakdown.length > 1);
}

/**
 * A scenario's server CPU by process, one line per process or group and a total line that
 * matches the scenario table; undefined when no result has more than one process.
 */
export function cpuBreakdownTable(results: readonly StepResult[]): string | undefined {
  const shown = multiProcess(results);
  if (!shown.length) return undefined;
  return table(
    ['target', 'process', 'CPU s', 'CPU µs/op', '% of server CPU'],
    shown.flatMap((r) => [
      ...r.cpuBreakdown.map((g) => [
        r.target,
        groupLabel(g),
        num(g.cpuS, 2),
        num(g.usPerOp, 0),
        `${num(g.pctOfTotal, 1)}%`,
      ]),
      [r.target, 'total', num(r.serverCpuS, 2), num(r.cpuUsPerOp, 0), '100%'],
    ]),
    [false, false, true, true, true],
  );
}

/**
 * A ramp's server CPU by process, one row per step: each group's µs per committed op and, in
 * parentheses, its share of the server's CPU. Columns are the groups in the order the targets
 * list them; undefined when no result has more than one process.
 */
export function rampCpuBreakdownTable(steps: readonly StepResult[]): string | undefined {
  const shown = multiProcess(steps);
  if (!shown.length) return undefined;
  const groups = [...new Set(shown.flatMap((r) => r.cpuBreakdown.map((g) => g.group)))];
  return table(
    ['target', 'step', ...groups, 'total'],
    shown.map((r) => [
      r.target,
      r.label,
      ...groups.map((name) => {
        const g = r.cpuBreakdown.find((x) => x.group === name);
        return g ? `${num(g.usPerOp, 0)} (${num(g.pctOfTotal, 0)}%)` : '-';
      }),
      num(r.cpuUsPerOp, 0),
    ]),
    [false, true, ...groups.map(() => true), true],
  );
}
