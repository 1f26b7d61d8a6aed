import { spawn } from 'node:child_process';
import { processTree, processTrees } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { cpuBreakdown, groupLabel, type ProcessCpu } from '../src/cpu-breakdown.js';
import type { StepResult } from '../src/load.js';
import { cpuBreakdownTable, rampCpuBreakdownTable } from '../src/report.js';

const CLUSTER: (ProcessCpu & { group?: string })[] = [
  { name: 'worker-1', group: 'collab workers', cpuS: 1.5 },
  { name: 'worker-2', group: 'collab workers', cpuS: 1.0 },
  { name: 'worker-3', group: 'collab workers', cpuS: 0.5 },
  { name: 'gateway-1', group: 'gateways', cpuS: 0.75 },
  { name: 'gateway-2', group: 'gateways', cpuS: 0.25 },
  { name: 'api', cpuS: 0.2 },
  { name: 'cassandra', cpuS: 0.8 },
];
const CLUSTER_CPU = 5;

/** A step result with only the fields the breakdown tables read. */
function result(target: string, label: string, processes: typeof CLUSTER, committed: number): StepResult {
  const serverCpuS = processes.reduce((sum, p) => sum + p.cpuS, 0);
  return {
    target,
    label,
    serverCpuS,
    cpuUsPerOp: (serverCpuS * 1e6) / committed,
    cpuBreakdown: cpuBreakdown(processes, committed),
  } as StepResult;
}

describe('CPU breakdown', () => {
  it('sums grouped processes into one line each, in the order the groups first appear', () => {
    const lines = cpuBreakdown(CLUSTER, 10_000);
    expect(lines.map(groupLabel)).toEqual(['collab workers (3)', 'gateways (2)', 'api', 'cassandra']);
    expect(lines[0]?.processes.map((p) => p.name)).toEqual(['worker-1', 'worker-2', 'worker-3']);
    expect(lines.map((g) => g.cpuS)).toEqual([3, 1, 0.2, 0.8]);
    expect(lines.map((g) => g.usPerOp)).toEqual([300, 100, 20, 80]);
    expect(lines.map((g) => g.pctOfTotal)).toEqual([60, 20, 4, 16]);
    expect(lines.reduce((sum, g) => sum + g.cpuS, 0)).toBeCloseTo(CLUSTER_CPU, 12);
  });

  it('labels a group of one with its count, so cluster shapes read alike', () => {
    const [line] = cpuBreakdown([{ name: 'worker-1', group: 'collab workers', cpuS: 1 }], 1);
    expect(line && groupLabel(line)).toBe('collab workers (1)');
  });

  it('gives no per-op figure without committed ops, and no share without server CPU', () => {
    const [line] = cpuBreakdown([{ name: 'server', cpuS: 0 }], 0);
    expect(line?.usPerOp).toBeNaN();
    expect(line?.pctOfTotal).toBeNaN();
  });
});

describe('CPU breakdown tables', () => {
  it('lists each process group of a multi-process target, then a total matching the scenario table', () => {
    const text = cpuBreakdownTable([
      result('tandem', 'S2', [{ name: 'server', cpuS: 2 }], 10_000),
      result('cluster', 'S2', CLUSTER, 10_000),
    ]);
    expect(text?.split('\n')).toEqual([
      '| target  | process            | CPU s | CPU µs/op | % of server CPU |',
      '|---------|--------------------|------:|----------:|----------------:|',
      '| cluster | collab workers (3) |  3.00 |       300 |           60.0% |',
      '| cluster | gateways (2)       |  1.00 |       100 |           20.0% |',
      '| cluster | api                |  0.20 |        20 |            4.0% |',
      '| cluster | cassandra          |  0.80 |        80 |           16.0% |',
      '| cluster | total              |  5.00 |       500 |            100% |',
    ]);
  });

  it('prints nothing when every target is a single process', () => {
    const single = [result('sharedb', 'S1', [{ name: 'server', cpuS: 1 }], 100)];
    expect(cpuBreakdownTable(single)).toBeUndefined();
    expect(rampCpuBreakdownTable(single)).toBeUndefined();
  });

  it('gives a ramp one row per step and a column per group, with - where a target lacks the group', () => {
    const text = rampCpuBreakdownTable([
      result('cluster', '1', CLUSTER, 10_000),
      result('cluster', '2 (again)', CLUSTER, 20_000),
      result(
        'cluster-1w',
        '1',
        [
          { name: 'worker-1', group: 'collab workers', cpuS: 1 },
          { name: 'gateway-1', group: 'gateways', cpuS: 0.5 },
        ],
        1_000,
      ),
      result('tandem', '1', [{ name: 'server', cpuS: 1 }], 1_000),
    ]);
    expect(text?.split('\n')).toEqual([
      '| target     |      step | collab workers |  gateways |     api | cassandra | total |',
      '|------------|----------:|---------------:|----------:|--------:|----------:|------:|',
      '| cluster    |         1 |      300 (60%) | 100 (20%) | 20 (4%) |  80 (16%) |   500 |',
      '| cluster    | 2 (again) |      150 (60%) |  50 (20%) | 10 (4%) |  40 (16%) |   250 |',
      '| cluster-1w |         1 |    1,000 (67%) | 500 (33%) |       - |         - | 1,500 |',
    ]);
  });
});

describe('process trees', () => {
  it('counts a process once, in the tree of the first root that reaches it', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      const pid = child.pid as number;
      const [mine, its] = processTrees([process.pid, pid]);
      expect(mine).toContain(pid);
      expect(its).toEqual([]);
      const all = processTree([process.pid, pid]);
      expect(new Set(all).size).toBe(all.length);
    } finally {
      child.kill();
    }
  });
});
