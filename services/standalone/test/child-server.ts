import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from '@tandem/testkit';
import { ROOT, TEST_SECRET } from './helpers.js';

const TSX = join(ROOT, 'node_modules/.bin/tsx');

/**
 * The standalone server as a child process (`tsx --conditions=@tandem/source
 * services/standalone/src/main.ts`, as `pnpm start` runs it). It is started detached, in
 * its own process group, so that kill() reaches tsx's node child as well: SIGKILL to the
 * group is a crash of the whole server, with no chance to drain or flush.
 */
export class ChildServer {
  readonly output: string[] = [];
  private exited: Promise<void>;

  private constructor(readonly proc: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.shift();
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.exited = new Promise((r) => proc.once('exit', () => r()));
  }

  /** Starts it on `port` with its data in `dataDir`, and `env` on top of the defaults; resolves once /healthz answers. */
  static async start(port: number, dataDir: string, env: Record<string, string> = {}): Promise<ChildServer> {
    const proc = spawn(TSX, ['--conditions=@tandem/source', 'services/standalone/src/main.ts'], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        AUTH_SECRET: TEST_SECRET,
        LOG_LEVEL: 'warn',
        ...env,
      },
    });
    const child = new ChildServer(proc);
    const url = `http://127.0.0.1:${port}`;
    let exitCode: number | null = null;
    proc.once('exit', (code) => {
      exitCode = code ?? -1;
    });
    try {
      await waitFor(
        async () => {
          if (exitCode !== null) throw new Error(`the server exited with ${exitCode}`);
          try {
            return (await fetch(`${url}/healthz`)).status === 200;
          } catch {
            return false;
          }
        },
        'the server’s /healthz',
        90_000,
        100,
      );
    } catch (err) {
      await child.kill();
      throw new Error(`${(err as Error).message}\n${child.output.join('')}`);
    }
    return child;
  }

  /**
   * SIGKILL to the whole process group; resolves when every process of it is gone. tsx
   * runs the server in a child of its own, which is reaped by init, not by us: until then
   * it is a zombie, and the data directory's lock (libs/adapters-pglite open.ts) still
   * counts it as alive, so a restart must wait for it like a supervisor waits for a dead
   * process before starting a new one.
   */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM to the whole process group: a clean stop (the server drains and closes its stores). */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  private async signal(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const pid = this.proc.pid;
    if (pid === undefined) return;
    const groupExists = () => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    if (groupExists()) process.kill(-pid, signal);
    await this.exited;
    await waitFor(() => !groupExists(), 'the server’s processes to be reaped', 20_000, 20);
  }
}
