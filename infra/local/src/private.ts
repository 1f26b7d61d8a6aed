import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerName } from '@tandem/testkit';
import { killNow, type PidRecord } from './process.js';
import { type Progress, silent } from './progress.js';
import {
  type Endpoint,
  type Instance,
  openInstance,
  readInstance,
  startInstance,
  stopInstance,
  wipeInstance,
} from './server.js';
import { serverByKey } from './servers/index.js';

/** A server of one test file's own, to stop, restart and wipe without disturbing the shared one. */
export interface PrivateServer<K extends ServerName> {
  readonly name: K;
  readonly dir: string;
  /** The same shape as the server's entry in endpoints.json; it stays valid across restarts. */
  readonly endpoint: Endpoint<K>;
  readonly running: boolean;
  /** Starts it again after stop(), on the same ports, with the data it had unless wiped. */
  start(): Promise<void>;
  /** Its stop signal (a clean shutdown), then SIGKILL if it has not ended in time. */
  stop(): Promise<void>;
  /** SIGKILL, as in a crash: nothing is flushed or handed over. */
  kill(): Promise<void>;
  /** Stops it if it runs and deletes its data: the next start() begins empty. */
  wipe(): Promise<void>;
}

export interface PrivateOptions {
  /** Its directory (data, logs, pid files); a new temporary one by default. */
  readonly dir?: string;
  readonly progress?: Progress;
}

// Private servers end with the process that started them, even when a test forgets stop().
const running = new Set<PidRecord>();
process.once('exit', () => killNow([...running]));

/**
 * Starts a separate instance of one server on fresh ports in its own directory, from the same
 * cached artifacts as `pnpm infra:up`, and waits until it answers.
 */
export async function startPrivate<K extends ServerName>(
  name: K,
  options: PrivateOptions = {},
): Promise<PrivateServer<K>> {
  const def = serverByKey(name);
  const progress = options.progress ?? silent;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `tandem-${def.name}-`));
  const leftover = readInstance(dir);
  if (leftover !== undefined) {
    await stopInstance(def, leftover);
    wipeInstance(leftover);
  }
  await def.prepare?.(progress);
  const inst: Instance = await openInstance(def, dir, { reusePorts: false });
  let records: PidRecord[] = [];
  const start = async () => {
    const started = await startInstance(def, inst, progress);
    records = started.records;
    for (const record of records) running.add(record);
    return started.endpoint;
  };
  const stop = async (kill: boolean) => {
    if (kill) killNow(records);
    for (const record of records) running.delete(record);
    records = [];
    await stopInstance(def, inst);
  };
  const endpoint = await start();
  return {
    name,
    dir,
    endpoint,
    get running() {
      return records.length > 0;
    },
    start: async () => {
      if (records.length === 0) await start();
    },
    stop: () => stop(false),
    kill: () => stop(true),
    wipe: async () => {
      await stop(false);
      wipeInstance(inst);
    },
  };
}
