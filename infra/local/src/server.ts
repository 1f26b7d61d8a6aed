import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EndpointsFile, ServerName } from '@tandem/testkit';
import {
  allPortsFree,
  freePorts,
  isAlive,
  type LaunchSpec,
  launch,
  logTail,
  type PidRecord,
  readPidRecords,
  removePidRecords,
  runToEnd,
  stopProcess,
} from './process.js';
import type { Progress } from './progress.js';

export type Endpoint<K extends ServerName> = NonNullable<EndpointsFile[K]>;

/** One server (or one group of processes serving as one, like the Redis Cluster) in its directory. */
export interface Instance {
  readonly dir: string;
  readonly ports: readonly number[];
  /** Everything the server writes; removed by wipe. */
  readonly dataDir: string;
  readonly logDir: string;
  readonly pidDir: string;
}

export interface ServerContext {
  readonly inst: Instance;
  readonly progress: Progress;
  /** Starts a long-running process of this server, detached, with a pid file. */
  launch(spec: LaunchSpec): PidRecord;
  /** Runs a setup command to its end. */
  run(spec: LaunchSpec): Promise<void>;
}

/** What a module under servers/ tells the runner about its server. */
export interface ServerDef<K extends ServerName> {
  readonly key: K;
  /** The name on the command line (`pnpm infra:up redis-cluster`) and of its directory. */
  readonly name: string;
  /** A JVM heavy enough that starting it beside another one slows both (see `--jvm-parallel`). */
  readonly heavy: boolean;
  readonly portCount: number;
  readonly startTimeoutMs: number;
  readonly stopSignal: NodeJS.Signals;
  readonly stopTimeoutMs: number;
  /** Fetches what the server needs (cached per machine), before the start is timed. */
  prepare?(progress: Progress): Promise<void>;
  /** Writes configuration, runs first-start setup if the data directory is new, starts the processes. */
  launch(ctx: ServerContext): Promise<void>;
  /** Whether the server answers requests now. */
  ready(inst: Instance): Promise<boolean>;
  /** Setup once the server answers (databases, cluster slots); must be safe to repeat. */
  init?(ctx: ServerContext): Promise<void>;
  endpoint(inst: Instance): Promise<Endpoint<K>>;
}

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of servers, each checked where defined
export type AnyServerDef = ServerDef<any>;

interface InstanceFile {
  readonly ports: readonly number[];
}

/**
 * The instance in `dir`: the ports recorded there if `reusePorts` and they are all free (and not
 * `taken` by another server starting now), otherwise new free ones, then recorded.
 */
export async function openInstance(
  def: AnyServerDef,
  dir: string,
  options: { reusePorts: boolean; taken?: ReadonlySet<number> },
): Promise<Instance> {
  // Open to all: servers run as an unprivileged user must reach their directories inside.
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  const file = join(dir, 'instance.json');
  let ports: readonly number[] | undefined;
  if (options.reusePorts && existsSync(file)) {
    const recorded = (JSON.parse(readFileSync(file, 'utf8')) as InstanceFile).ports;
    const free = recorded.length === def.portCount && !recorded.some((port) => options.taken?.has(port));
    if (free && (await allPortsFree(recorded))) ports = recorded;
  }
  if (ports === undefined) {
    ports = await freePorts(def.portCount, options.taken);
    writeFileSync(file, `${JSON.stringify({ ports } satisfies InstanceFile)}\n`);
  }
  return instanceAt(dir, ports);
}

/** The instance recorded in `dir` (by openInstance), or undefined if there is none. */
export function readInstance(dir: string): Instance | undefined {
  const file = join(dir, 'instance.json');
  if (!existsSync(file)) return undefined;
  return instanceAt(dir, (JSON.parse(readFileSync(file, 'utf8')) as InstanceFile).ports);
}

function instanceAt(dir: string, ports: readonly number[]): Instance {
  return {
    dir,
    ports,
    dataDir: join(dir, 'data'),
    logDir: join(dir, 'logs'),
    pidDir: join(dir, 'pids'),
  };
}

/** Whether every process the instance started still runs and the server answers. */
export async function isRunning(def: AnyServerDef, inst: Instance): Promise<boolean> {
  const records = readPidRecords(inst.pidDir);
  return records.length > 0 && records.every(isAlive) && (await def.ready(inst));
}

function context(inst: Instance, progress: Progress, started: PidRecord[] = []): ServerContext {
  return {
    inst,
    progress,
    launch: (spec) => {
      const record = launch(spec, inst);
      started.push(record);
      return record;
    },
    run: (spec) => runToEnd(spec, inst),
  };
}

const PROGRESS_EVERY_MS = 10_000;

/**
 * Starts the server of an opened instance and waits until it answers, then runs its init.
 * Fails early, with the end of its log, if a process exits while we wait.
 */
export async function startInstance<K extends ServerName>(
  def: ServerDef<K>,
  inst: Instance,
  progress: Progress,
): Promise<{ endpoint: Endpoint<K>; records: PidRecord[] }> {
  mkdirSync(inst.dataDir, { recursive: true, mode: 0o755 });
  removePidRecords(inst.pidDir);
  const records: PidRecord[] = [];
  const ctx = context(inst, progress, records);
  const started = Date.now();
  progress(`starting on 127.0.0.1:${inst.ports.join(', ')}`);
  await def.launch(ctx);
  let nextReport = started + PROGRESS_EVERY_MS;
  while (!(await def.ready(inst))) {
    const dead = records.find((record) => !isAlive(record));
    if (dead !== undefined) {
      throw new Error(
        `${def.name}: ${dead.label} exited while starting; end of ${join(inst.logDir, `${dead.label}.log`)}:\n` +
          logTail(join(inst.logDir, `${dead.label}.log`)),
      );
    }
    const now = Date.now();
    if (now - started > def.startTimeoutMs) {
      const label = records[0]?.label ?? def.name;
      throw new Error(
        `${def.name}: not answering after ${def.startTimeoutMs / 1000} s; end of its log:\n` +
          logTail(join(inst.logDir, `${label}.log`)),
      );
    }
    if (now >= nextReport) {
      progress(`waiting for it to answer (${Math.round((now - started) / 1000)} s)`);
      nextReport += PROGRESS_EVERY_MS;
    }
    await sleep(200);
  }
  await def.init?.(ctx);
  progress(`healthy after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { endpoint: await def.endpoint(inst), records };
}

/** Stops every process the instance started (its stop signal, then SIGKILL after its timeout). */
export async function stopInstance(def: AnyServerDef | undefined, inst: Instance): Promise<number> {
  const records = readPidRecords(inst.pidDir);
  const results = await Promise.all(
    records.map((record) => stopProcess(record, def?.stopSignal ?? 'SIGTERM', def?.stopTimeoutMs ?? 30_000)),
  );
  removePidRecords(inst.pidDir);
  return results.filter((result) => result !== 'not-running').length;
}

/** Deletes what the server wrote (its logs stay, to show what happened before). */
export function wipeInstance(inst: Instance): void {
  rmSync(inst.dataDir, { recursive: true, force: true });
}
