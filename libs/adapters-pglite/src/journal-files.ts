import {
  closeSync,
  fdatasync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/**
 * The files of a write-ahead journal: numbered segments (journal-000001.log, …) of
 * checksummed lines, `<crc32 as 8 hex digits> <json>\n`. Only the newest segment is
 * written; older ones are sealed and deleted once what they hold is stored elsewhere.
 *
 * A line is durable once sync() that followed its write has resolved. A crash can leave a
 * torn last line (written but never synced, so never acknowledged): reading stops at the
 * first line whose checksum or JSON does not hold.
 */
export class JournalFiles {
  private fd: number;
  private segment: number;
  /** The fdatasync in flight, if any: a rotation closes the sealed segment only after it. */
  private syncing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private sealed: number[],
    next: number,
  ) {
    this.segment = next;
    this.fd = openSync(this.path(next), 'a');
    fsyncDir(dir);
  }

  /** Opens the journal in `dir` (which must exist), keeping what older segments hold for readAll(). */
  static open(dir: string): JournalFiles {
    const existing = readdirSync(dir)
      .map((name) => /^journal-(\d+)\.log$/.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    return new JournalFiles(dir, existing, (existing.at(-1) ?? 0) + 1);
  }

  /** The entries of the sealed segments (those present at open), oldest first. */
  readAll(): unknown[] {
    const entries: unknown[] = [];
    for (const segment of this.sealed) {
      for (const line of readFileSync(this.path(segment), 'utf8').split('\n')) {
        const entry = parseLine(line);
        if (entry === undefined) break;
        entries.push(entry);
      }
    }
    return entries;
  }

  /** Writes entries to the current segment (into the page cache; sync() makes them durable). */
  write(entries: readonly unknown[]): void {
    let text = '';
    for (const entry of entries) {
      const json = JSON.stringify(entry);
      text += `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
    }
    writeSync(this.fd, text);
  }

  /** Resolves when everything written so far to the current segment is on disk. */
  sync(): Promise<void> {
    const fd = this.fd;
    const done = new Promise<void>((resolve, reject) =>
      fdatasync(fd, (err) => (err ? reject(err) : resolve())),
    );
    this.syncing = done.catch(() => {});
    return done;
  }

  /**
   * Seals the current segment and starts a new one; returns the sealed segment's number.
   * The caller must have synced what it wrote to the sealed segment before it deletes it.
   */
  rotate(): number {
    const sealed = this.segment;
    this.sealed.push(sealed);
    this.segment += 1;
    const previous = this.fd;
    this.fd = openSync(this.path(this.segment), 'a');
    fsyncDir(this.dir);
    // Closing the descriptor under an fdatasync still running in the thread pool would fail it (EBADF).
    void this.syncing.then(() => closeSync(previous));
    return sealed;
  }

  /** Deletes the sealed segments up to and including `segment`. */
  deleteSealed(upTo: number): void {
    const keep: number[] = [];
    for (const segment of this.sealed) {
      if (segment <= upTo) rmSync(this.path(segment), { force: true });
      else keep.push(segment);
    }
    this.sealed = keep;
  }

  async close(): Promise<void> {
    await this.syncing;
    closeSync(this.fd);
  }

  private path(segment: number): string {
    return join(this.dir, `journal-${String(segment).padStart(6, '0')}.log`);
  }
}

function parseLine(line: string): unknown {
  if (line.length < 10 || line[8] !== ' ') return undefined;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return undefined;
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

/** A new file's directory entry is durable only once the directory itself is synced. */
function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
