/**
 * Where a multi-process server's CPU goes: each process's CPU in the measured window, summed
 * by group (a cluster's collab workers, its gateways) and set against the keystrokes committed
 * in the same window. The lines add up to the step's `server CPU s`.
 */

/** One process's CPU in the window (its whole process tree). */
export interface ProcessCpu {
  name: string;
  cpuS: number;
}

/** One line of the breakdown: a process, or a group of processes of the same kind. */
export interface CpuGroup {
  /** The group's name (`collab workers`), or the process's own when it has no group. */
  group: string;
  /** Its processes, in the order the target listed them: one, unless the target grouped them. */
  processes: ProcessCpu[];
  cpuS: number;
  /** cpuS / keystrokes committed in the window, in µs (NaN when none were). */
  usPerOp: number;
  /** Share of the step's server CPU, in % (NaN when the server used none). */
  pctOfTotal: number;
}

/**
 * Sums the processes by group, keeping the order in which each group first appears (so a
 * cluster's tables list its services, then its infrastructure, in every scenario alike).
 */
export function cpuBreakdown(
  processes: readonly (ProcessCpu & { group?: string })[],
  committedOps: number,
): CpuGroup[] {
  const groups = new Map<string, ProcessCpu[]>();
  for (const { name, group, cpuS } of processes) {
    const key = group ?? name;
    const members = groups.get(key);
    if (members) members.push({ name, cpuS });
    else groups.set(key, [{ name, cpuS }]);
  }
  const total = processes.reduce((sum, p) => sum + p.cpuS, 0);
  return [...groups].map(([group, members]) => {
    const cpuS = members.reduce((sum, p) => sum + p.cpuS, 0);
    return {
      group,
      processes: members,
      cpuS,
      usPerOp: committedOps > 0 ? (cpuS * 1e6) / committedOps : Number.NaN,
      pctOfTotal: total > 0 ? (cpuS / total) * 100 : Number.NaN,
    };
  });
}

/** `collab workers (3)` for a group, the process's own name for a process on its own. */
export function groupLabel(g: CpuGroup): string {
  const only = g.processes.length === 1 ? g.processes[0] : undefined;
  return only?.name === g.group ? g.group : `${g.group} (${g.processes.length})`;
}
