import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { TandemError } from '@tandem/errors';
import { runMigrations } from '@tandem/sql-migrations';
import { fsyncingNodeFs, fsyncStartParams } from './fsync.js';

/** The lock file inside a data directory: the id of the process that has it open. */
export const LOCK_FILE = 'tandem.lock';

export interface OpenPgliteOptions {
  /**
   * Whether Postgres fsyncs (on-disk only; default true).
   *
   * true: a commit is on disk before it resolves, so an acknowledged op survives the
   * machine losing power, not only the process dying. Costs one fsync per commit (0.2 to
   * 3.5 ms on the development VM's disk), which the commit pipeline amortizes by appending
   * the ops that queued meanwhile as one batch.
   *
   * false: PGlite's own setting (Postgres runs with -F). A commit is handed to the OS
   * before it resolves, which survives a process kill but not a power loss or kernel
   * crash, after which the directory may not even open (a checkpoint without fsync can
   * drop WAL the data files still needed). For tests and throwaway data.
   */
  fsync?: boolean;
}

/**
 * Opens the embedded database: in memory when `dataDir` is undefined (tests), otherwise
 * in that directory (created if missing), with the schema migrated to the latest.
 *
 * One PGlite instance is one Postgres session: share it between the stores of a process.
 * A directory is opened by one instance at a time, which a lock file enforces (see
 * lockDataDir); close() releases it. Durability: see OpenPgliteOptions.fsync and
 * docs/decisions.md, "Embedded storage (PGlite)".
 */
export async function openPglite(dataDir?: string, options: OpenPgliteOptions = {}): Promise<PGlite> {
  if (dataDir === undefined) return migrated(await PGlite.create());
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const release = lockDataDir(dir);
  let db: PGlite;
  try {
    db = await PGlite.create(
      options.fsync === false
        ? { dataDir: dir }
        : { dataDir: dir, fs: fsyncingNodeFs(dir), startParams: fsyncStartParams() },
    );
  } catch (err) {
    release();
    throw err;
  }
  // PGlite has no close hook, and the lock must go with the instance that holds it.
  const close = db.close.bind(db);
  db.close = async () => {
    try {
      await close();
    } finally {
      release();
    }
  };
  return migrated(db);
}

async function migrated(db: PGlite): Promise<PGlite> {
  try {
    await runMigrations(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return oneStatementPerTurn(db);
}

/**
 * Runs the statements of db.query one per turn of the event loop. A PGlite statement runs
 * synchronously on the event loop, and PGlite starts the next queued one from the previous
 * one's promise, so a burst of statements (a hundred documents reaching their snapshot at
 * once, say) ran as one chain of microtasks: no socket was read and no op acknowledged until
 * all of them were done, 150 to 250 ms in load test S2 (docs/benchmarks.md). Between two
 * statements the loop now reads its sockets, and an op waits for one statement at most.
 */
function oneStatementPerTurn(db: PGlite): PGlite {
  const query = db.query.bind(db);
  let previous: Promise<unknown> = Promise.resolve();
  db.query = ((...args: Parameters<PGlite['query']>) => {
    const result = previous
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => query(...args));
    previous = result.catch(() => undefined);
    return result;
  }) as PGlite['query'];
  return db;
}

/**
 * Takes the data directory for this process, or throws CONFIG_INVALID naming the process
 * that holds it. PGlite takes no lock of its own (Postgres's postmaster.pid is not written
 * in single-user mode): two instances on one directory, in two processes or in one, both
 * start, both write pages, and the directory is corrupt for good. A lock left by a process
 * that no longer runs (killed) is taken over. Returns the function that releases it; it
 * also runs when the process exits.
 */
export function lockDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt += 1) {
    try {
      // Written aside and linked into place, so that the lock never exists without its
      // pid (link fails with EEXIST when the lock is there; rename would overwrite it).
      const temp = `${path}.${process.pid}`;
      writeFileSync(temp, String(process.pid));
      try {
        linkSync(temp, path);
      } finally {
        unlinkSync(temp);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number.parseInt(readLock(path), 10);
      if (attempt > 0 || isAlive(holder)) {
        throw new TandemError('CONFIG_INVALID', `data directory ${dir} is in use by process ${holder}`, {
          details: { dataDir: dir, pid: holder, lockFile: path },
        });
      }
      // The holder is gone: take the lock over, once. If another process takes it
      // between this unlink and the next open, that open fails and we refuse.
      unlinkSync(path);
    }
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readLock(path) === String(process.pid)) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.on('exit', release);
  return release;
}

function readLock(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/**
 * A killed process stays a zombie until its parent reaps it (a second or two under tsx
 * after a SIGKILL); it holds no files, so a restart in that window may take the lock.
 */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return false;
  }
}
