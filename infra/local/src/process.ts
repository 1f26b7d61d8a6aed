import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A started process, as written to its pid file. The start time (from /proc) tells our process
 * from an unrelated one that got the same pid after ours ended.
 */
export interface PidRecord {
  readonly label: string;
  readonly pid: number;
  readonly startTime: string;
  /** Signal the leader only (Postgres: its children must not receive the shutdown signal). */
  readonly leaderOnly: boolean;
}

export interface LaunchSpec {
  /** Names the pid file and the log file. */
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Run as this unprivileged user (servers that refuse to run as root). */
  readonly user?: string;
  readonly leaderOnly?: boolean;
}

function procStat(pid: number): { state: string; group: number; startTime: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses; the fields after it do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, , group] = fields;
  const startTime = fields[19];
  return state === undefined || startTime === undefined
    ? undefined
    : { state, group: Number(group), startTime };
}

/** Whether any process of the group that `record` leads still runs (a server may outlive its launcher). */
function groupAlive(record: PidRecord): boolean {
  if (isAlive(record)) return true;
  return readdirSync('/proc').some((name) => {
    if (!/^\d+$/.test(name)) return false;
    const stat = procStat(Number(name));
    return stat !== undefined && stat.group === record.pid && stat.state !== 'Z';
  });
}

/** This process, as a record another process can check with isAlive. */
export function thisProcess(label: string): PidRecord {
  const stat = procStat(process.pid);
  if (stat === undefined) throw new Error('/proc is not mounted');
  return { label, pid: process.pid, startTime: stat.startTime, leaderOnly: true };
}

export function isAlive(record: PidRecord): boolean {
  const stat = procStat(record.pid);
  return stat !== undefined && stat.startTime === record.startTime && stat.state !== 'Z';
}

interface UserIds {
  readonly uid: number;
  readonly gid: number;
}

export function userIds(user: string): UserIds {
  const id = (flag: string) => Number(execFileSync('id', [flag, user], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/** setpriv changes user and execs: the pid we get is the server's own, so signals reach it. */
function asUser(spec: LaunchSpec): { command: string; args: string[] } {
  if (spec.user === undefined) return { command: spec.command, args: [...spec.args] };
  const { uid, gid } = userIds(spec.user);
  return {
    command: 'setpriv',
    args: [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', spec.command, ...spec.args],
  };
}

/**
 * Starts a process in its own process group, detached from ours, output appended to
 * `<logDir>/<label>.log`, and records it in `<pidDir>/<label>.json`.
 */
export function launch(spec: LaunchSpec, dirs: { logDir: string; pidDir: string }): PidRecord {
  mkdirSync(dirs.logDir, { recursive: true });
  mkdirSync(dirs.pidDir, { recursive: true });
  const { command, args } = asUser(spec);
  const log = openSync(join(dirs.logDir, `${spec.label}.log`), 'a');
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(command, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  child.on('error', () => {});
  child.unref();
  const stat = child.pid === undefined ? undefined : procStat(child.pid);
  if (child.pid === undefined || stat === undefined) {
    throw new Error(
      `${spec.label}: could not start ${command} (see ${join(dirs.logDir, `${spec.label}.log`)})`,
    );
  }
  const record: PidRecord = {
    label: spec.label,
    pid: child.pid,
    startTime: stat.startTime,
    leaderOnly: spec.leaderOnly ?? false,
  };
  writeFileSync(join(dirs.pidDir, `${spec.label}.json`), `${JSON.stringify(record)}\n`);
  return record;
}

/** Runs a setup command (initdb, formatting storage) to its end, output appended to its log. */
export async function runToEnd(spec: LaunchSpec, dirs: { logDir: string }): Promise<void> {
  mkdirSync(dirs.logDir, { recursive: true });
  const logFile = join(dirs.logDir, `${spec.label}.log`);
  const { command, args } = asUser(spec);
  const log = openSync(logFile, 'a');
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', log, log],
    });
    child.once('error', reject);
    child.once('exit', resolve);
  }).finally(() => closeSync(log));
  if (code !== 0) {
    throw new Error(`${spec.label}: ${spec.command} exited with ${code}:\n${logTail(logFile)}`);
  }
}

export function readPidRecords(pidDir: string): PidRecord[] {
  let names: string[];
  try {
    names = readdirSync(pidDir);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(pidDir, name), 'utf8')) as PidRecord);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Sends `sig`, waits up to `timeoutMs` for every process of its group to end (a launcher, such as
 * Elasticsearch's, may exit before the server it started), then SIGKILLs what is left.
 * Returns how it ended.
 */
export async function stopProcess(
  record: PidRecord,
  sig: NodeJS.Signals,
  timeoutMs: number,
): Promise<'not-running' | 'stopped' | 'killed'> {
  if (!groupAlive(record)) return 'not-running';
  signal(record.leaderOnly && isAlive(record) ? record.pid : -record.pid, sig);
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(record) && Date.now() < deadline) await sleep(100);
  if (!groupAlive(record)) return 'stopped';
  signal(-record.pid, 'SIGKILL');
  while (groupAlive(record)) await sleep(50);
  return 'killed';
}

/** SIGKILLs the groups of `records` now: for process exit, where nothing asynchronous runs. */
export function killNow(records: readonly PidRecord[]): void {
  for (const record of records) if (isAlive(record)) signal(-record.pid, 'SIGKILL');
}

export function removePidRecords(pidDir: string): void {
  rmSync(pidDir, { recursive: true, force: true });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

// Below Linux's ephemeral range (32768+), so an outgoing connection cannot take a port between
// the check here and the server binding it.
const PORT_MIN = 20_000;
const PORT_MAX = 32_000;

/** `count` distinct ports on 127.0.0.1 that nothing listens on now and none of `taken`. */
export async function freePorts(count: number, taken: ReadonlySet<number> = new Set()): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN));
    if (!taken.has(port) && !ports.includes(port) && (await portIsFree(port))) ports.push(port);
  }
  return ports;
}

export async function allPortsFree(ports: readonly number[]): Promise<boolean> {
  for (const port of ports) if (!(await portIsFree(port))) return false;
  return true;
}

/** The last lines of a log file, to show why a server did not come up. */
export function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
