import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SqlMetadataStore, SqlSearchIndex, SqlSnapshotStore } from '@tandem/adapters-sql';
import { isTandemError } from '@tandem/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { JournaledOpLog, LOCK_FILE, openPglite, PgliteOpLog } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const childScript = fileURLToPath(new URL('./fixtures/append-child.ts', import.meta.url));
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-pglite-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('PGlite on disk', () => {
  it('gives a new instance everything a closed instance wrote', async () => {
    const dir = tempDir();
    const first = await openPglite(dir);
    await new PgliteOpLog(first).append('doc-1', [
      { version: 1, op: [0, 'héllo 👋'], author: 'u1', clientId: 'client-one', seq: 1, ts: 1 },
      { version: 2, op: 'nul\u0000', author: 'u1', clientId: 'client-one', seq: 2, ts: 2 },
    ]);
    await new SqlSnapshotStore(first).put({ docId: 'doc-1', version: 2, type: 'text', data: 'héllo 👋' });
    await new SqlMetadataStore(first).create({ id: 'doc-1', title: 'Kept', type: 'text', ownerId: 'u1' });
    await new SqlSearchIndex(first).upsert({ docId: 'doc-1', title: 'Kept', content: 'durable words' });
    await first.close();

    const second = await openPglite(dir);
    try {
      expect((await new PgliteOpLog(second).read('doc-1', 1)).map((r) => r.op)).toEqual([
        [0, 'héllo 👋'],
        'nul\u0000',
      ]);
      expect((await new SqlSnapshotStore(second).latest('doc-1'))?.data).toBe('héllo 👋');
      expect(await new SqlMetadataStore(second).roleOf('doc-1', 'u1')).toBe('owner');
      const hits = await new SqlSearchIndex(second).search('durable', { userId: 'u1', limit: 5 });
      expect(hits.map((hit) => hit.docId)).toEqual(['doc-1']);
    } finally {
      await second.close();
    }
  });

  it('refuses to open a directory that is already open, until it is closed', async () => {
    const dir = tempDir();
    const first = await openPglite(dir);
    const refused = await openPglite(dir).then(
      async (db) => {
        await db.close();
        return undefined;
      },
      (err: unknown) => err,
    );
    expect(isTandemError(refused, 'CONFIG_INVALID')).toBe(true);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(process.pid));
    await first.close();
    const second = await openPglite(dir);
    await second.close();
  });

  it('runs Postgres with fsync on by default, and off when asked', async () => {
    for (const [options, expected] of [
      [{}, 'on'],
      [{ fsync: false }, 'off'],
    ] as const) {
      const db = await openPglite(tempDir(), options);
      try {
        const { rows } = await db.query<{ fsync: string }>('SELECT current_setting($1) AS fsync', ['fsync']);
        expect(rows[0]?.fsync).toBe(expected);
        // PGlite internals: the fsync that NODEFS lacks is installed only when asked.
        const nodefs = (db.Module as unknown as { NODEFS: { stream_ops: { fsync?: unknown } } }).NODEFS;
        expect(typeof nodefs.stream_ops.fsync).toBe(expected === 'on' ? 'function' : 'undefined');
      } finally {
        await db.close();
      }
    }
  });

  // The contract's durability rule: an op is acknowledged once append() resolved, so an
  // append that resolved must survive the process dying at any moment after it.
  it.each([
    ['fsync', true],
    ['no-fsync', false],
    ['journal', true],
  ] as const)(
    'keeps every append that resolved before the process was killed with SIGKILL (%s)',
    {
      timeout: 180_000,
    },
    async (mode, fsync) => {
      const dir = tempDir();
      const docId = 'doc-killed';
      // Rounds with different batch sizes and kill points; each child continues the log
      // where the previous one was killed.
      for (const [batchSize, killAfter] of [
        [1, 40],
        [10, 25],
        [1, 3],
        [100, 5],
      ] as const) {
        const { reported, pid } = await appendUntilKilled(dir, docId, batchSize, killAfter, mode);
        expect(reported.length).toBeGreaterThanOrEqual(killAfter);
        // The dead child's lock is still there, and is taken over.
        expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(String(pid));

        const db = await openPglite(dir, { fsync });
        try {
          // Opening the journal first moves what it holds into the op log.
          if (mode === 'journal')
            await (await JournaledOpLog.open(new PgliteOpLog(db), { dir: join(dir, 'journal') })).close();
          const log = new PgliteOpLog(db);
          const latest = await log.latestVersion(docId);
          expect(latest).toBeGreaterThanOrEqual(Math.max(...reported));
          const records = await log.read(docId, 1);
          // Gapless from 1: no batch was half stored.
          expect(records.map((r) => r.version)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
          for (const record of records)
            expect(record.op).toEqual([record.version, `op ${record.version} 👋`]);
        } finally {
          await db.close();
        }
      }
    },
  );
});

/**
 * Runs fixtures/append-child.ts on `dir` and kills it with SIGKILL as soon as it has
 * reported `killAfter` resolved appends. Returns every version it reported (lines already
 * in the pipe when it died included: they were printed after their append resolved).
 */
async function appendUntilKilled(
  dir: string,
  docId: string,
  batchSize: number,
  killAfter: number,
  mode: 'fsync' | 'no-fsync' | 'journal',
): Promise<{ reported: number[]; pid: number }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@tandem/source', '--import', 'tsx', childScript, dir, docId, String(batchSize), mode],
    { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const reported: number[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolveExit) => {
    child.on('exit', (_code, signal) => resolveExit(signal));
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const match = /^appended (\d+)$/.exec(line);
    if (!match) continue;
    reported.push(Number(match[1]));
    if (reported.length === killAfter) child.kill('SIGKILL');
  }
  const signal = await exited;
  if (signal !== 'SIGKILL') throw new Error(`the child exited before it was killed: ${stderr}`);
  return { reported, pid: child.pid ?? -1 };
}
