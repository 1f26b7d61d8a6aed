import type { CollabEngine, TandemEvent } from '@tandem/core';
import { isTandemError } from '@tandem/errors';
import { Registry } from '@tandem/metrics';
import { getDocType } from '@tandem/ot';
import { describe, expect, it } from 'vitest';
import { SNAPSHOTTER_GROUP } from '../src/index.js';
import { useWorld, waitFor } from './helpers.js';

const world = useWorld();

/** The content the op log says the document has at `version`: every op from version 0 (the contract). */
async function replayed(w: ReturnType<typeof world>, docId: string, version: number, initial = '') {
  const type = getDocType('text');
  const ops = await w.opLog.uncounted(docId, 1, version);
  return ops.reduce((doc, r) => type.apply(doc, r.op), initial as unknown);
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (isTandemError(err)) return err.code;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('snapshotter', () => {
  it('stores a snapshot every 100 ops, each computed from the one before, and records the latest', async () => {
    const w = world();
    const registry = new Registry();
    w.snapshotter({ registry, afterMs: 60_000 });
    const engine = w.engine();
    const doc = await w.create(engine);
    await waitFor('version 0 to be recorded', async () => (await w.recorded(doc)) === 0);

    await w.type(engine, doc, 250);
    await waitFor('the snapshot at 200', async () => (await w.recorded(doc)) === 200);
    expect(w.snapshots.putsOf(doc)).toEqual([0, 100, 200]);
    for (const version of [100, 200]) {
      const stored = await w.snapshots.latest(doc, version);
      expect(stored).toEqual({ docId: doc, version, type: 'text', data: await replayed(w, doc, version) });
    }
    // Never the whole history: the snapshot at 200 read only the ops after the one at 100.
    const reads = w.opLog.readsOf(doc).filter((r) => r.to === 100 || r.to === 200);
    expect(reads).toEqual([
      { docId: doc, from: 1, to: 100, count: 100 },
      { docId: doc, from: 101, to: 200, count: 100 },
    ]);

    const metrics = await registry.getSingleMetricAsString('tandem_snapshots_written_total');
    expect(metrics).toContain('tandem_snapshots_written_total{reason="ops"} 2');
    expect(await registry.getSingleMetricAsString('tandem_snapshotter_lag_seconds')).toMatch(
      /tandem_snapshotter_lag_seconds \d/,
    );
  });

  it('stores a snapshot of the newest version after a while of activity short of 100 ops', async () => {
    const w = world();
    w.snapshotter({ afterMs: 150 });
    const engine = w.engine();
    const doc = await w.create(engine);
    const started = Date.now();
    await w.type(engine, doc, 7);
    await waitFor('the time-based snapshot', async () => (await w.recorded(doc)) === 7);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(await w.snapshots.latest(doc)).toMatchObject({ version: 7, data: await replayed(w, doc, 7) });

    // The next 100 ops still snapshot at the multiple of 100, and the rest by time again
    // (typing them may take longer than the interval, so there may be others between).
    await w.type(engine, doc, 100);
    await waitFor('the snapshot at 107', async () => (await w.recorded(doc)) === 107);
    const puts = w.snapshots.putsOf(doc);
    expect(puts.slice(0, 2)).toEqual([0, 7]);
    expect(puts).toContain(100);
    expect(puts.at(-1)).toBe(107);
    expect([...puts].sort((a, b) => a - b)).toEqual(puts);
  });

  it('opens a document from its latest snapshot and the op log tail after it', async () => {
    const w = world();
    w.snapshotter({ afterMs: 60_000 });
    const writer = w.engine();
    const doc = await w.create(writer);
    await w.type(writer, doc, 250);
    await waitFor('the snapshot at 200', async () => (await w.recorded(doc)) === 200);

    w.opLog.reads.length = 0;
    const reader = w.engine();
    const opened = await reader.open(doc);
    expect(opened).toEqual({ type: 'text', version: 250, snapshot: await replayed(w, doc, 250) });
    // Only the tail: ops 201..250, nothing before the snapshot.
    expect(w.opLog.readsOf(doc)).toEqual([{ docId: doc, from: 201, to: undefined, count: 50 }]);
  });

  it('answers the content at an old version from the nearest snapshot below it', async () => {
    const w = world();
    w.snapshotter({ afterMs: 60_000 });
    const engine = w.engine();
    const doc = await w.create(engine);
    await w.type(engine, doc, 250);
    await waitFor('the snapshot at 200', async () => (await w.recorded(doc)) === 200);

    for (const version of [0, 1, 99, 100, 101, 150, 199, 200, 249]) {
      w.opLog.reads.length = 0;
      expect(await engine.contentAt(doc, version)).toBe(await replayed(w, doc, version));
      const read = w.opLog.readsOf(doc).reduce((sum, r) => sum + r.count, 0);
      expect(read).toBe(version % 100);
    }
  });

  it('falls back to the previous snapshot when the latest is corrupt', async () => {
    const w = world();
    w.snapshotter({ afterMs: 60_000 });
    const writer = w.engine();
    const doc = await w.create(writer);
    await w.type(writer, doc, 250);
    await waitFor('the snapshot at 200', async () => (await w.recorded(doc)) === 200);
    expect(w.snapshots.corrupt(doc, 200)).toBe(true);

    w.opLog.reads.length = 0;
    const reader = w.engine();
    expect(await reader.open(doc)).toEqual({
      type: 'text',
      version: 250,
      snapshot: await replayed(w, doc, 250),
    });
    expect(w.opLog.readsOf(doc)).toEqual([{ docId: doc, from: 101, to: undefined, count: 150 }]);
    expect(await reader.contentAt(doc, 210)).toBe(await replayed(w, doc, 210));
  });

  it('rebuilds a document whose snapshots are all corrupt from the op log at version 0, then snapshots it again', async () => {
    const w = world();
    w.snapshotter({ afterMs: 60_000 });
    const writer = w.engine();
    const doc = await w.create(writer);
    await w.type(writer, doc, 250);
    await waitFor('the snapshot at 200', async () => (await w.recorded(doc)) === 200);
    for (const version of [0, 100, 200]) expect(w.snapshots.corrupt(doc, version)).toBe(true);

    w.opLog.reads.length = 0;
    const reader = w.engine();
    expect(await reader.open(doc)).toEqual({
      type: 'text',
      version: 250,
      snapshot: await replayed(w, doc, 250),
    });
    expect(w.opLog.readsOf(doc)).toEqual([{ docId: doc, from: 1, to: undefined, count: 250 }]);
    expect(w.log.errors.map((e) => e.message)).toContain(
      'no intact snapshot left: rebuilding the document from its op log',
    );
    expect(await reader.contentAt(doc, 42)).toBe(await replayed(w, doc, 42));

    // The snapshotter rebuilds the same way, and its next snapshot is a good base again.
    await w.type(reader, doc, 50);
    await waitFor('the snapshot at 300', async () => (await w.recorded(doc)) === 300);
    w.opLog.reads.length = 0;
    expect((await w.engine().open(doc)).snapshot).toBe(await replayed(w, doc, 300));
    expect(w.opLog.readsOf(doc)).toEqual([{ docId: doc, from: 301, to: undefined, count: 0 }]);
  });

  it('does not open a document with no intact snapshot whose version 0 was never recorded', async () => {
    const w = world();
    const engine = w.engine();
    // No snapshotter: doc.created is never handled, as while a creation is still writing version 0.
    const doc = await w.create(engine);
    expect(w.snapshots.corrupt(doc, 0)).toBe(true);
    expect(await refusal(w.engine().open(doc))).toBe('DOC_NOT_FOUND');
    expect(await refusal(w.engine().open('no-such-document'))).toBe('DOC_NOT_FOUND');
  });

  it('is idempotent under redelivered events', async () => {
    const w = world();
    const first = w.snapshotter({ afterMs: 60_000 });
    const engine = w.engine();
    const doc = await w.create(engine);
    await w.type(engine, doc, 230);
    await waitFor('the snapshot at 200', async () => (await w.recorded(doc)) === 200);
    const before = [await w.snapshots.latest(doc, 100), await w.snapshots.latest(doc, 200)];

    // Delivered again to the same snapshotter: already covered, nothing is stored again.
    const events = w.events.published.filter((e) => e.docId === doc);
    const puts = w.snapshots.puts.length;
    await w.events.publish(events);
    await waitFor('the events to be handled', () => w.events.lag()[SNAPSHOTTER_GROUP] === 0);
    await first.flush();
    expect(w.snapshots.puts.length).toBe(puts + 1); // the time-based one at 230, by flush()

    // Delivered again to a new snapshotter that remembers nothing (a restart before the
    // offsets were committed): the same snapshots, the same content, the record not moved back.
    await first.stop();
    const second = w.snapshotter({ afterMs: 60_000, catchUp: false });
    const flushed = w.snapshots.puts.length;
    await w.events.publish(events);
    await waitFor('the events to be handled again', () => w.events.lag()[SNAPSHOTTER_GROUP] === 0);
    await second.flush();
    expect(w.snapshots.puts.length).toBe(flushed);
    expect([await w.snapshots.latest(doc, 100), await w.snapshots.latest(doc, 200)]).toEqual(before);
    expect(await w.snapshots.latest(doc)).toMatchObject({ version: 230, data: await replayed(w, doc, 230) });
    expect(await w.recorded(doc)).toBe(230);
  });

  it('catches up on what was edited while it was stopped', async () => {
    const w = world();
    const first = w.snapshotter({ afterMs: 60_000 });
    const engine = w.engine();
    const edited = await w.create(engine);
    const idle = await w.create(engine);
    await w.type(engine, edited, 120);
    await waitFor('the snapshot at 100', async () => (await w.recorded(edited)) === 100);
    await first.stop();

    // Edited while no snapshotter runs: its events go nowhere (embedded mode's bus is in memory).
    await w.type(engine, edited, 230);
    const created = await w.create(engine);
    await w.type(engine, created, 30);
    await engine.close();

    const second = w.snapshotter({ afterMs: 60_000 });
    await second.caughtUp;
    expect(await w.recorded(edited)).toBe(350);
    expect(await w.snapshots.latest(edited)).toMatchObject({
      version: 350,
      data: await replayed(w, edited, 350),
    });
    expect(await w.recorded(created)).toBe(30);
    expect((await w.metadata.snapshotState(created))?.initial).toEqual({ content: '' });
    expect(await w.snapshots.latest(created)).toMatchObject({
      version: 30,
      data: await replayed(w, created, 30),
    });
    expect(await w.recorded(idle)).toBe(0);
    expect(w.snapshots.putsOf(idle)).toEqual([0]);
    // The multiples of 100 it missed too, each from the one before, from one read of the
    // ops after the snapshot at 100 (not from version 0).
    expect(w.snapshots.putsOf(edited)).toEqual([0, 100, 200, 300, 350]);
    expect(await w.snapshots.latest(edited, 299)).toMatchObject({
      version: 200,
      data: await replayed(w, edited, 200),
    });
    expect(w.opLog.readsOf(edited).at(-1)).toMatchObject({ from: 101, to: 350, count: 250 });
  });

  it('fills in the snapshots it missed when events come back without a start-up check', async () => {
    const w = world();
    const first = w.snapshotter({ afterMs: 60_000 });
    const engine = w.engine();
    const doc = await w.create(engine);
    await w.type(engine, doc, 120);
    await waitFor('the snapshot at 100', async () => (await w.recorded(doc)) === 100);
    await first.stop();
    await w.type(engine, doc, 230);

    w.snapshotter({ afterMs: 60_000, catchUp: false });
    await w.type(engine, doc, 60);
    await waitFor('the snapshot at 400', async () => (await w.recorded(doc)) === 400);
    expect(w.snapshots.putsOf(doc)).toEqual([0, 100, 200, 300, 400]);
    for (const version of [200, 300, 400]) {
      expect(await w.snapshots.latest(doc, version)).toMatchObject({
        version,
        data: await replayed(w, doc, version),
      });
    }
  });

  it('purges the snapshots of a deleted document and ignores its late events', async () => {
    const w = world();
    w.snapshotter({ afterMs: 100 });
    const engine = w.engine();
    const doc = await w.create(engine);
    await w.type(engine, doc, 120);
    await waitFor('the snapshot at 100', async () => (await w.recorded(doc)) === 100);

    await w.metadata.remove(doc);
    await engine.forget(doc);
    engine.emit([{ type: 'doc.deleted', docId: doc, at: Date.now() }]);
    await waitFor('the purge', async () => (await w.snapshots.latest(doc)) === null);

    // An op committed before the deletion but delivered after it stores nothing.
    const late: TandemEvent = {
      type: 'op.committed',
      docId: doc,
      docType: 'text',
      record: {
        version: 200,
        op: [119, 'z'],
        author: 'ann',
        clientId: 'client-ann',
        seq: 200,
        ts: Date.now(),
      },
    };
    const puts = w.snapshots.puts.length;
    await w.events.publish([late]);
    await waitFor('the late event to be handled', () => w.events.lag()[SNAPSHOTTER_GROUP] === 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(w.snapshots.puts.length).toBe(puts);
    expect(await w.snapshots.latest(doc)).toBeNull();
  });

  it('retries a snapshot that could not be stored until it is', async () => {
    const w = world();
    let failures = 3;
    const put = w.snapshots.put.bind(w.snapshots);
    w.snapshots.put = async (snapshot) => {
      if (snapshot.version > 0 && failures-- > 0) throw new Error('snapshot store unreachable');
      return put(snapshot);
    };
    w.snapshotter({ afterMs: 60_000 });
    const engine: CollabEngine = w.engine();
    const doc = await w.create(engine);
    await w.type(engine, doc, 100);
    await waitFor('the snapshot at 100', async () => (await w.recorded(doc)) === 100, 15_000);
    expect(failures).toBeLessThan(0);
  });
});
