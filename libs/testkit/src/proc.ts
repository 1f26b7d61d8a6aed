import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { endpointsPath } from './endpoints.js';

/** Clock ticks per second of the utime/stime fields in /proc/<pid>/stat (100 on Linux almost always). */
export const CLK_TCK = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time of the process and of its children it waited for, in seconds (resolution 1 / CLK_TCK). */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) is fields[11], stime fields[12], and the
  // time of its children that exited and were waited for (cutime, cstime) fields[13] and
  // [14]: a short-lived child (a Postgres backend) then stays counted in its parent's tree.
  return fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) / CLK_TCK;
}

/** The processes started by `roots`, the roots included (Postgres backends, JVM helpers…). */
export function processTree(roots: readonly number[]): number[] {
  return processTrees(roots).flat();
}

/**
 * The tree of each root, from one read of the process table, each process in one tree only
 * (the first that reaches it), so that the trees' CPU adds up to the CPU of all of them.
 */
export function processTrees(roots: readonly number[]): number[][] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid);
      if (list) list.push(Number(entry));
      else children.set(ppid, [Number(entry)]);
    } catch {
      // Exited while the table was read.
    }
  }
  const seen = new Set<number>();
  return roots.map((root) => {
    const tree: number[] = [];
    const visit = (pid: number) => {
      if (seen.has(pid)) return;
      seen.add(pid);
      tree.push(pid);
      for (const child of children.get(pid) ?? []) visit(child);
    };
    visit(root);
    return tree;
  });
}

/** CPU seconds of every process in `pids`, summed (a process that has exited counts as 0). */
export function totalCpuSeconds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += processCpuSeconds(pid);
    } catch {
      // Gone: its time left with it.
    }
  }
  return total;
}

export interface ProcessMemory {
  /** Resident set size now, MiB (VmRSS). */
  rssMb: number;
  /** Peak resident set size since the process started, MiB (VmHWM). */
  peakRssMb: number;
}

/** Memory of every process in `pids`, summed. */
export function totalMemory(pids: readonly number[]): ProcessMemory {
  const sum = { rssMb: 0, peakRssMb: 0 };
  for (const pid of pids) {
    try {
      const m = processMemory(pid);
      sum.rssMb += m.rssMb;
      sum.peakRssMb += m.peakRssMb;
    } catch {
      // Gone.
    }
  }
  return sum;
}

export function processMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) : Number.NaN;
  };
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

/** CPU seconds the whole machine spent busy so far (all cores; /proc/stat minus idle and iowait). */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return (total - idle) / CLK_TCK;
}

/**
 * The pids `pnpm infra:up` recorded for one of its servers (each server's pids/*.json, beside
 * the endpoints file): launchers whose children do the work, so measure their processTree.
 */
export function serverPids(server: string): number[] {
  const dir = join(dirname(endpointsPath()), server, 'pids');
  return readdirSync(dir).map(
    (file) => (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { pid: number }).pid,
  );
}
