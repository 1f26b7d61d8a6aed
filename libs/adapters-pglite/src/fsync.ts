import { closeSync, fsyncSync, openSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { NodeFS } from '@electric-sql/pglite/nodefs';
import { TandemError } from '@tandem/errors';

/**
 * The parts of Emscripten's NODEFS this file relies on. They are not PGlite's public API,
 * which is why fsyncingNodeFs() checks for them and refuses to start without them.
 */
interface NodeFsInternals {
  stream_ops: { fsync?: (stream: { nfd?: number; node: unknown }) => number };
  realPath(node: unknown): string;
}

interface ModuleInternals {
  NODEFS?: Partial<NodeFsInternals>;
  FS?: { ErrnoError?: new (errno: number) => Error };
}

/** Emscripten's errno for EIO: Postgres PANICs on a failed fsync, as it must. */
const EIO = 29;

/**
 * Postgres's start parameters with fsync on. PGlite starts Postgres with -F (fsync off);
 * fdatasync is a no-op in PGlite's Emscripten runtime, so the WAL is synced with fsync.
 */
export function fsyncStartParams(): string[] {
  return [...PGlite.defaultStartParams.filter((param) => param !== '-F'), '-c', 'wal_sync_method=fsync'];
}

/**
 * PGlite's Node filesystem (Emscripten NODEFS, which writes through to the directory with
 * fs.writeSync) with the one operation it lacks: fsync. Without it, every fsync Postgres
 * issues (WAL at commit, data files at checkpoint, directories after a rename) returns
 * success and does nothing, so a commit is in the OS page cache, not on disk. Installed in
 * preRun, before Postgres runs recovery and its first checkpoint.
 */
export function fsyncingNodeFs(dataDir: string): NodeFS {
  return new FsyncingNodeFS(dataDir);
}

class FsyncingNodeFS extends NodeFS {
  override async init(pg: PGlite, emscriptenOptions: Parameters<NodeFS['init']>[1]) {
    const result = await super.init(pg, emscriptenOptions);
    const preRun = result.emscriptenOpts.preRun ?? [];
    result.emscriptenOpts.preRun = [...preRun, (mod: unknown) => installFsync(mod as ModuleInternals)];
    return result;
  }
}

function installFsync(mod: ModuleInternals): void {
  const nodefs = mod.NODEFS;
  const ErrnoError = mod.FS?.ErrnoError;
  if (!nodefs?.stream_ops || typeof nodefs.realPath !== 'function' || !ErrnoError) {
    throw new TandemError(
      'INTERNAL',
      'this PGlite build has no NODEFS to add fsync to; open it with fsync: false',
    );
  }
  const realPath = nodefs.realPath.bind(nodefs);
  nodefs.stream_ops.fsync = (stream) => {
    try {
      if (stream.nfd !== undefined) fsyncSync(stream.nfd);
      else syncDirectory(realPath(stream.node));
      return 0;
    } catch {
      throw new ErrnoError(EIO);
    }
  };
}

/**
 * NODEFS opens no host descriptor for a directory, but Postgres fsyncs directories so that
 * a created or renamed file's entry is durable too. Windows cannot open a directory for
 * syncing (NTFS journals the entry itself), as Postgres knows on a native build.
 */
function syncDirectory(path: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
