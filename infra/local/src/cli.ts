import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerName } from '@tandem/testkit';
import { readEndpointsFile, removeEndpointsFile, setEndpoint } from './endpoints-file.js';
import { endpointsPath, stateDir } from './paths.js';
import { isAlive, type PidRecord, thisProcess } from './process.js';
import { consoleProgress } from './progress.js';
import {
  type AnyServerDef,
  isRunning,
  openInstance,
  readInstance,
  startInstance,
  stopInstance,
  wipeInstance,
} from './server.js';
import { SERVERS, serverByName } from './servers/index.js';

const USAGE = `usage: pnpm infra:up [--jvm-parallel=N] [server ...]
       pnpm infra:down
servers: ${SERVERS.map((s) => s.name).join(', ')} (default: all)`;

/**
 * Heavy JVMs starting at once, unless --jvm-parallel says otherwise. On 2 cores, 2 finished all
 * as soon as 3 did and brought Kafka and Cassandra up sooner (docs/infrastructure.md).
 */
const DEFAULT_JVM_PARALLEL = 2;

/** At most `limit` tasks at a time, in the order they asked. */
function gate(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

async function upOne(
  def: AnyServerDef,
  heavyGate: ReturnType<typeof gate>,
  takenPorts: Set<number>,
): Promise<void> {
  const progress = consoleProgress(def.name);
  const dir = join(stateDir, def.name);
  const existing = readInstance(dir);
  if (existing !== undefined && (await isRunning(def, existing))) {
    for (const port of existing.ports) takenPorts.add(port);
    setEndpoint(def.key, await def.endpoint(existing));
    progress(`already running on 127.0.0.1:${existing.ports.join(', ')}`);
    return;
  }
  if (existing !== undefined) {
    // What is left of an earlier start that did not finish, or that has since crashed.
    await stopInstance(def, existing);
    wipeInstance(existing);
    rmSync(existing.logDir, { recursive: true, force: true });
  }
  await def.prepare?.(progress);
  const start = async () => {
    const inst = await openInstance(def, dir, { reusePorts: true, taken: takenPorts });
    for (const port of inst.ports) takenPorts.add(port);
    const { endpoint } = await startInstance(def, inst, progress);
    setEndpoint(def.key, endpoint);
  };
  if (!def.heavy) return start();
  return heavyGate(start);
}

async function up(args: string[]): Promise<number> {
  let jvmParallel = DEFAULT_JVM_PARALLEL;
  const defs: AnyServerDef[] = [];
  for (const arg of args) {
    const parallel = /^--jvm-parallel=(\d+)$/.exec(arg);
    const def = serverByName(arg);
    if (parallel?.[1] !== undefined && Number(parallel[1]) >= 1) jvmParallel = Number(parallel[1]);
    else if (def !== undefined) defs.push(def);
    else {
      console.error(`unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
  }
  const selected = defs.length > 0 ? SERVERS.filter((def) => defs.includes(def)) : SERVERS;
  mkdirSync(stateDir, { recursive: true });
  // An entry for a server that no longer runs would send tests to a dead port.
  for (const key of Object.keys(readEndpointsFile()) as ServerName[]) {
    const def = serverByName(key);
    const inst = def && readInstance(join(stateDir, def.name));
    if (def === undefined || inst === undefined || !(await isRunning(def, inst))) setEndpoint(key, undefined);
  }
  const started = Date.now();
  const heavyGate = gate(jvmParallel);
  const takenPorts = new Set<number>();
  const results = await Promise.allSettled(selected.map((def) => upOne(def, heavyGate, takenPorts)));
  const failed = results.flatMap((result, i) =>
    result.status === 'rejected' ? [{ def: selected[i], result }] : [],
  );
  for (const { def, result } of failed) {
    console.error(
      `\n${def?.name} FAILED: ${result.reason instanceof Error ? result.reason.message : result.reason}`,
    );
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failed.length > 0) {
    console.error(
      `\n${failed.length} of ${selected.length} servers failed after ${seconds} s; the others run.`,
    );
    return 1;
  }
  console.log(`\n${selected.length} servers healthy after ${seconds} s; endpoints in ${endpointsPath}`);
  return 0;
}

async function down(): Promise<number> {
  let names: string[] = [];
  try {
    names = readdirSync(stateDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    // No state directory: nothing was ever started here.
  }
  removeEndpointsFile();
  const stopped = await Promise.all(
    names.map(async (name) => {
      const inst = readInstance(join(stateDir, name));
      if (inst === undefined) return 0;
      const started = Date.now();
      const count = await stopInstance(serverByName(name), inst);
      if (count > 0) consoleProgress(name)(`stopped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return count;
    }),
  );
  if (stopped.every((count) => count === 0)) console.log('nothing was running');
  return 0;
}

/**
 * One `infra:up` or `infra:down` at a time on a state directory: two at once would both find a
 * crashed server and start it twice on the same data. Held until this process exits.
 */
async function lockStateDir(): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  const lock = join(stateDir, 'lock.json');
  const self = thisProcess('lock');
  let told = false;
  for (;;) {
    try {
      writeFileSync(lock, JSON.stringify(self), { flag: 'wx' });
      process.once('exit', () => rmSync(lock, { force: true }));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: PidRecord | undefined;
    try {
      holder = JSON.parse(readFileSync(lock, 'utf8')) as PidRecord;
    } catch {
      // Being written or removed just now: look again.
    }
    if (holder !== undefined && !isAlive(holder)) rmSync(lock, { force: true });
    else {
      if (!told && holder !== undefined)
        console.log(`waiting for another infra:up or infra:down (pid ${holder.pid})`);
      told = true;
      await sleep(500);
    }
  }
}

const [command, ...rest] = process.argv.slice(2);
const commands: Record<string, (args: string[]) => Promise<number>> = { up, down };
const run = command === undefined ? undefined : commands[command];
if (run === undefined) {
  console.error(USAGE);
  process.exitCode = 2;
} else {
  await lockStateDir();
  process.exitCode = await run(rest);
}
