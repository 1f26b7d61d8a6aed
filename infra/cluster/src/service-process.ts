import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The services a cluster runs: each is services/<service>/src/main.ts. */
export type ServiceName = 'collab-worker' | 'gateway' | 'api' | 'search-indexer' | 'snapshot';

/** One service process of the cluster. */
export interface ServiceProcess {
  service: ServiceName;
  name: string;
  port: number;
  readonly pid: number;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string>;
  /** SIGKILL: a crash. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `timeoutMs`: a clean stop. */
  stop(timeoutMs?: number): Promise<void>;
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

/**
 * Starts services/<service>/src/main.ts with `env`, logs to <logDir>/<name>.log, and
 * resolves once its /healthz answers (rejects if it exits first or takes over `timeoutMs`).
 */
export async function startService(options: {
  service: ServiceName;
  name: string;
  port: number;
  env: Record<string, string>;
  logDir: string;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  // The service writes its log file itself rather than through a pipe to this process, so
  // that it can outlive this process (pnpm cluster:up exits and leaves the cluster running).
  const log = openSync(join(options.logDir, `${options.name}.log`), 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [
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
  const proc: ServiceProcess = {
    service: options.service,
    name: options.name,
    port: options.port,
    pid: child.pid as number,
    exited,
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
    unref() {
      child.unref();
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let gone: number | string | undefined;
  void exited.then((code) => {
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
      if (res.ok) return proc;
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
