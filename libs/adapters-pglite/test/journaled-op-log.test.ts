import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryOpLog } from '@tandem/adapters-memory';
import type { OpRecord } from '@tandem/core';
import { opLogConformance } from '@tandem/core/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { JournaledOpLog, openPglite, PgliteOpLog } from '../src/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-journal-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

// Ops moved into PGlite every few milliseconds: reads mix memory and the database.
opLogConformance('PGlite behind a journal', async () => {
  const db = await openPglite();
  const log = await JournaledOpLog.open(new PgliteOpLog(db), { dir: tempDir(), flushIntervalMs: 5 });
  return {
    store: log,
    close: async () => {
      await log.close();
      await db.close();
    },
  };
});

// Nothing moved until close: every read is served by the journal's memory and the inner log together.
opLogConformance('journal that never flushes', async () => {
  const log = await JournaledOpLog.open(new MemoryOpLog(), { dir: tempDir(), flushIntervalMs: 3_600_000 });
  return { store: log, close: () => log.close() };
});

function records(from: number, to: number, clientId = 'client-a'): OpRecord[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    version: from + i,
    op: [from + i, `op ${from + i}`],
    author: 'user-a',
    clientId,
    seq: from + i,
    ts: 1_700_000_000_000 + from + i,
  }));
}

/** Opens a journal that only moves ops when asked, as if its process could die at any moment. */
function openUnflushed(inner: MemoryOpLog, dir: string): Promise<JournaledOpLog> {
  return JournaledOpLog.open(inner, { dir, flushIntervalMs: 3_600_000, flushOps: Number.MAX_SAFE_INTEGER });
}

describe('JournaledOpLog', () => {
  it('gives a restarted process every acknowledged op the journal held', async () => {
    const dir = tempDir();
    const crashed = await openUnflushed(new MemoryOpLog(), dir);
    await crashed.append('doc-1', records(1, 3));
    await crashed.append('doc-2', records(1, 1));
    await crashed.append('doc-1', records(4, 5));

    // The inner log lost everything (never flushed): the journal alone brings the ops back.
    const inner = new MemoryOpLog();
    const restarted = await openUnflushed(inner, dir);
    expect(await inner.read('doc-1', 1)).toEqual(records(1, 5));
    expect(await inner.read('doc-2', 1)).toEqual(records(1, 1));
    await restarted.close();
  });

  it('replays onto an inner log that already has some of the ops, without doubling them', async () => {
    const dir = tempDir();
    const inner = new MemoryOpLog();
    const first = await openUnflushed(inner, dir);
    await first.append('doc-1', records(1, 4));
    await first.flush();
    await first.append('doc-1', records(5, 6));

    await openUnflushed(inner, dir);
    expect(await inner.read('doc-1', 1)).toEqual(records(1, 6));
  });

  it('ignores a torn last line, which was never acknowledged', async () => {
    const dir = tempDir();
    const crashed = await openUnflushed(new MemoryOpLog(), dir);
    await crashed.append('doc-1', records(1, 2));
    const segment = readdirSync(dir).find((name) => name.startsWith('journal-'));
    if (!segment) throw new Error('no journal segment was written');
    appendFileSync(join(dir, segment), '0badc0de {"d":"doc-1","r":[{"version":3');

    const inner = new MemoryOpLog();
    await openUnflushed(inner, dir);
    expect(await inner.read('doc-1', 1)).toEqual(records(1, 2));
  });

  it('never brings back the ops of a purged document', async () => {
    const dir = tempDir();
    const inner = new MemoryOpLog();
    const first = await openUnflushed(inner, dir);
    await first.append('doc-gone', records(1, 3));
    await first.flush();
    await first.append('doc-gone', records(4, 4));
    await first.append('doc-kept', records(1, 2));
    await first.purge('doc-gone');
    expect(await first.read('doc-gone', 1)).toEqual([]);
    expect(await first.latestVersion('doc-gone')).toBe(0);

    await openUnflushed(inner, dir);
    expect(await inner.read('doc-gone', 1)).toEqual([]);
    expect(await inner.read('doc-kept', 1)).toEqual(records(1, 2));
  });

  it('deletes the segments whose ops are in the inner log', async () => {
    const dir = tempDir();
    const inner = new MemoryOpLog();
    const log = await openUnflushed(inner, dir);
    for (let v = 1; v <= 30; v += 3) {
      await log.append('doc-1', records(v, v + 2));
      await log.flush();
    }
    expect(await inner.read('doc-1', 1)).toEqual(records(1, 30));
    expect(readdirSync(dir).filter((name) => name.startsWith('journal-'))).toHaveLength(1);
    await log.close();
  });

  it('moves ops while appends are still syncing, failing none of them', async () => {
    const inner = new MemoryOpLog();
    const log = await openUnflushed(inner, tempDir());
    const appends: Promise<void>[] = [];
    const flushes: Promise<void>[] = [];
    for (let v = 1; v <= 300; v++) {
      appends.push(log.append('doc-1', records(v, v)));
      if (v % 7 === 0) {
        // Once the turn's appends are written and their fdatasync is running, a flush seals
        // the segment under it.
        await new Promise((resolve) => setImmediate(resolve));
        flushes.push(log.flush());
      }
    }
    await Promise.all([...appends, ...flushes]);
    await log.close();
    expect(await inner.read('doc-1', 1)).toEqual(records(1, 300));
  });

  it('answers resends and latest versions from ops still in memory', async () => {
    const log = await openUnflushed(new MemoryOpLog(), tempDir());
    await log.append('doc-1', records(1, 3, 'client-b'));
    expect(await log.latestVersion('doc-1')).toBe(3);
    expect(await log.lastOfClient('doc-1', 'client-b')).toEqual({ seq: 3, version: 3 });
    expect(await log.read('doc-1', 2, 2)).toEqual(records(2, 2, 'client-b'));
    await log.close();
  });
});
