import { type ChildProcess, fork } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromServer, ToServer } from './ipc.js';

/** The load-tests package folder: child scripts run with it as their working directory. */
export const LOAD_TESTS_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** Every server the generator started, so that an early exit never leaves one running. */
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** LOAD_SERVER_NODE_ARGS: Node flags for every server process, e.g. `--cpu-prof` or `--trace-gc`. */
export function serverNodeArgs(): string[] {
  return (process.env.LOAD_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
}

/**
 * Runs a TypeScript file in its own Node process (through tsx's loader, not the tsx CLI,
 * so that `pid` is the process doing the work) with an IPC channel. `script` is absolute
 * or relative to load-tests/src (e.g. `../../services/standalone/src/main.ts`).
 */
export function forkScript(script: string, env: Record<string, string> = {}): ChildProcess {
  const child = fork(resolvePath(LOAD_TESTS_DIR, 'src', script), [], {
    cwd: LOAD_TESTS_DIR,
    execArgv: ['--import', 'tsx', '--conditions=@tandem/source', ...serverNodeArgs()],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Stops a child: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The generator's side of a forked server script: waits for it to listen, then sends commands. */
export class ServerChannel {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (raw) => {
      const msg = raw as FromServer;
      if (msg.type !== 'reply') return;
      const w = this.waiting.get(msg.id);
      if (!w) return;
      this.waiting.delete(msg.id);
      if (msg.ok) w.resolve();
      else w.reject(new Error(msg.error));
    });
    child.once('exit', (code, signal) => {
      for (const w of this.waiting.values()) w.reject(new Error(`server exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  /** Forks `script` and resolves once it reports the URL it listens on. */
  static start(script: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ServerChannel> {
    const child = forkScript(script, env);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (raw: unknown) => {
        const msg = raw as FromServer;
        if (msg.type !== 'listening') return;
        clearTimeout(timer);
        child.off('message', onMessage);
        resolve(new ServerChannel(child, msg.url));
      };
      child.on('message', onMessage);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited before listening (${code ?? signal})`));
      });
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  createDocs(docIds: string[], content: string, timeoutMs = 60_000): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`creating ${docIds.length} documents took over ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const message: ToServer = { id, cmd: 'create', docIds, content };
      this.child.send(message);
    });
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}

/** A TCP port that was free a moment ago, for a server that must be told its port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `url` (e.g. a health endpoint) until it answers 2xx, for servers that do not speak the IPC channel. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
