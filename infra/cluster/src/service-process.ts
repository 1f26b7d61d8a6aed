import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The services a cluster runs: each is services/<service>/src/main.ts. */
export type ServiceName = 'collab-worker' | 'gateway' | 'api' | 'search-indexer' | 'snapshot' | 'history';

/** One service process of the cluster. */
export interface ServiceProcess {
  service: ServiceName;
  name: string;
  port: number;
  /** The running process's id (the new one after restart()). */
  readonly pid: number;
  /** Resolves with the exit code (or signal) when the process ends (the new one after restart()). */
  readonly exited: Promise<number | string>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutMs`: a clean stop. */
  stop(timeoutMs?: number): Promise<void>;
  /**
   * Starts the service again after kill() or stop(), as it was started (same port, same
   * environment, the same log file, appended to), and resolves once it is healthy. This
   * object stands for the new process from then on, so whoever holds it (the cluster's
   * fields, a test) reaches the restarted service through it.
   */
  restart(): Promise<void>;
  /** Lets this process (the parent) exit while the service goes on running. */
  unref(): void;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface StartOptions {
  service: ServiceName;
  name: string;
  port: number;
  env: Record<string, string>;
  nodeArgs?: string[];
  logDir: string;
  timeoutMs?: number;
}

/**
 * Starts services/<service>/src/main.ts with `env`, logs to <logDir>/<name>.log, and
 * resolves once its /healthz answers (rejects if it exits first or takes over `timeoutMs`).
 */
export async function startService(options: StartOptions): Promise<ServiceProcess> {
  let current = spawnService(options);
  const proc: ServiceProcess = {
    service: options.service,
    name: options.name,
    port: options.port,
    get pid() {
      return current.child.pid as number;
    },
    get exited() {
      return current.exited;
    },
    async kill() {
      current.child.kill('SIGKILL');
      await current.exited;
    },
    async stop(timeoutMs = 10_000) {
      const { child, exited } = current;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    async restart() {
      const { child } = current;
      if (child.exitCode === null && child.signalCode === null) {
        throw new Error(`${options.name} is still running (pid ${child.pid}): stop or kill it first`);
      }
      current = spawnService(options);
      await untilHealthy(proc, options);
    },
    unref() {
      current.child.unref();
    },
  };
  await untilHealthy(proc, options);
  return proc;
}

function spawnService(options: StartOptions): { child: ChildProcess; exited: Promise<number | string> } {
  // The service writes its log file itself rather than through a pipe to this process, so
  // that it can outlive this process (pnpm cluster:up exits and leaves the cluster running).
  const log = openSync(join(options.logDir, `${options.name}.log`), 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        '--conditions=@tandem/source',
        '--import',
        'tsx',
        join(repoRoot, `services/${options.service}/src/main.ts`),
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, ...options.env, PORT: String(options.port) },
        stdio: ['ignore', log, log],
        detached: true,
      },
    );
  } finally {
    closeSync(log);
  }
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, exited };
}

/** Waits for the process's /healthz; kills it if it is not healthy within the start's timeout. */
async function untilHealthy(proc: ServiceProcess, options: StartOptions): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let gone: number | string | undefined;
  void proc.exited.then((code) => {
    gone = code;
  });
  for (;;) {
    if (gone !== undefined) {
      throw new Error(
        `${options.name} exited (${gone}) before it was healthy; see ${options.logDir}/${options.name}.log`,
      );
    }
    try {
      const res = await fetch(`http://127.0.0.1:${options.port}/healthz`);
      if (res.ok) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await proc.kill();
      throw new Error(`${options.name} was not healthy after ${options.timeoutMs ?? 60_000} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
