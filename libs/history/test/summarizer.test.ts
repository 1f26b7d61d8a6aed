import { InProcessEventBus } from '@tandem/adapters-memory';
import { describeHistoryEntry, type HistoryEntry, type TandemEvent } from '@tandem/core';
import { Registry } from '@tandem/metrics';
import { getDocType } from '@tandem/ot';
import { Random, seedFromEnv } from '@tandem/testkit';
import { describe, expect, it } from 'vitest';
import { HISTORY_GROUP } from '../src/index.js';
import { MINUTE, T0, useWorld } from './world.js';

const world = useWorld();

/** Every entry of the document, oldest first, read page by page. */
async function timeline(w: ReturnType<typeof world>, docId: string): Promise<HistoryEntry[]> {
  const all: HistoryEntry[] = [];
  let before: number | undefined;
  do {
    const page = await w.store.list(docId, { limit: 3, ...(before === undefined ? {} : { before }) });
    all.push(...page.items);
    before = page.next ?? undefined;
  } while (before !== undefined);
  return all.reverse();
}

const brief = (e: HistoryEntry) => [e.kind, e.userId, e.fromVersion, e.toVersion, e.ops];

describe('history summarizer', () => {
  it("groups each user's ops into sessions split by 5 minutes without an op of theirs", async () => {
    const w = world();
    const s = w.summarizer();
    const doc = await w.create('text', 'Hello');
    await w.append(doc, 'ann', 0, ' world'); // 1
    await w.append(doc, 'bob', 1, '!'); // 2
    await w.append(doc, 'ann', 3, ' and'); // 3: 3 minutes after ann's last: same session
    await w.append(doc, 'bob', 7, '?'); // 4: 6 minutes after bob's last: a new session
    await w.append(doc, 'ann', 7.5, ' more'); // 5: 4.5 minutes after ann's last: same session
    await w.edit(doc, 'ann', 20, [{ d: 5 }]); // 6: a new session
    await w.saved(s, doc, 6);

    const entries = await timeline(w, doc);
    expect(entries.map(brief)).toEqual([
      ['created', 'ann', 0, 0, 0],
      ['edit', 'ann', 1, 5, 3],
      ['edit', 'bob', 2, 2, 1],
      ['edit', 'bob', 4, 4, 1],
      ['edit', 'ann', 6, 6, 1],
    ]);
    const annFirst = entries[1] as HistoryEntry;
    expect(annFirst).toMatchObject({
      inserted: 15,
      deleted: 0,
      startedAt: T0,
      endedAt: T0 + 7.5 * MINUTE,
      span: { start: 5, end: 22 },
    });
    expect(describeHistoryEntry(annFirst, 'text')).toBe(
      'ann inserted 15 characters in characters 6–22 from 2026-11-21 09:00 to 2026-11-21 09:07 UTC (3 edits)',
    );
    expect(describeHistoryEntry(entries[4] as HistoryEntry, 'text')).toBe(
      'ann deleted 5 characters at character 1 on 2026-11-21 09:20 UTC (1 edit)',
    );
    expect(describeHistoryEntry(entries[0] as HistoryEntry, 'text')).toBe(
      'ann created the document on 2026-11-21 09:00 UTC',
    );
  });

  it('puts each restore in the timeline as an entry of its own, with the version it brought back', async () => {
    const w = world();
    const s = w.summarizer();
    const doc = await w.create('text');
    await w.append(doc, 'ann', 0, 'one'); // 1
    await w.append(doc, 'ann', 1, ' two'); // 2
    w.clock.t = T0 + 2 * MINUTE;
    const { version } = await w.engine.restore(doc, 1, 'ann'); // 3
    await w.append(doc, 'ann', 2.5, ' three'); // 4: after a restore, a new session
    await w.saved(s, doc, 4);
    await s.flush();

    const entries = await timeline(w, doc);
    expect(entries.map(brief)).toEqual([
      ['created', 'ann', 0, 0, 0],
      ['edit', 'ann', 1, 2, 2],
      ['restore', 'ann', version, version, 1],
      ['edit', 'ann', 4, 4, 1],
    ]);
    expect(entries[2]).toMatchObject({ restoredVersion: 1, deleted: 4 });
    expect(describeHistoryEntry(entries[2] as HistoryEntry, 'text')).toBe(
      'ann restored version 1 on 2026-11-21 09:02 UTC',
    );
  });

  it('counts nothing twice when every event is delivered again', async () => {
    const w = world();
    const replayBus = new InProcessEventBus(20);
    const s = w.summarizer();
    const doc = await w.create('text');
    for (let i = 0; i < 12; i++) await w.append(doc, i % 2 ? 'bob' : 'ann', i, `w${i} `);
    await w.saved(s, doc, 12);
    const before = await timeline(w, doc);
    await s.stop();

    // A second summarizer on the same store gets the whole stream again, as after a restart
    // whose offsets were never committed.
    const again = w.summarizer({ events: replayBus, catchUp: false });
    const records = await w.opLog.read(doc, 1);
    const stream: TandemEvent[] = [
      { type: 'doc.created', docId: doc, docType: 'text', title: 'Test', ownerId: 'ann', at: T0 },
      ...records.map((record) => ({
        type: 'op.committed' as const,
        docId: doc,
        docType: 'text' as const,
        record,
      })),
    ];
    await replayBus.publish(stream);
    await replayBus.publish(stream.slice(3, 7));
    await waitDrained(replayBus);
    await again.flush();
    expect(await timeline(w, doc)).toEqual(before);
  });

  it('reads ops whose events it missed from the op log: a gap in the stream, and downtime', async () => {
    const w = world();
    const registry = new Registry();
    const bus = new InProcessEventBus(20);
    const s = w.summarizer({ events: bus, registry, catchUp: false });
    const doc = await w.create('text');
    for (let i = 0; i < 6; i++) await w.append(doc, 'ann', i * 0.1, `${i}`);
    const records = await w.opLog.read(doc, 1);
    // Only versions 2 and 6 arrive: 1 and 3-5 are read from the op log.
    await bus.publish(
      [2, 6].map(
        (v) => ({ type: 'op.committed', docId: doc, docType: 'text', record: records[v - 1] }) as TandemEvent,
      ),
    );
    await w.saved(s, doc, 6);
    expect((await timeline(w, doc)).map(brief)).toEqual([['edit', 'ann', 1, 6, 6]]);
    expect(await registry.getSingleMetricAsString('tandem_history_ops_total')).toMatch(/source="op-log"} 4/);
    await s.stop();

    // Edited while no summarizer ran (the in-process bus drops events nobody consumes): the
    // start-up check finds the document behind its op log.
    for (let i = 0; i < 4; i++) await w.append(doc, 'bob', 1 + i * 0.1, `b${i}`);
    const restarted = w.summarizer();
    await restarted.caughtUp;
    await w.saved(restarted, doc, 10);
    expect((await timeline(w, doc)).map(brief)).toEqual([
      ['edit', 'ann', 1, 6, 6],
      ['edit', 'bob', 7, 10, 4],
    ]);
  });

  it('reloads a document another summarizer wrote meanwhile, so a rebalance counts nothing twice', async () => {
    const w = world();
    const busA = new InProcessEventBus(20);
    const busB = new InProcessEventBus(20);
    const a = w.summarizer({ events: busA, catchUp: false });
    const b = w.summarizer({ events: busB, catchUp: false });
    const doc = await w.create('text');
    for (let i = 0; i < 9; i++) await w.append(doc, 'ann', i * 0.1, `${i}`);
    const ev = async (bus: InProcessEventBus, versions: number[]) => {
      const records = await w.opLog.read(doc, 1);
      await bus.publish(
        versions.map(
          (v) =>
            ({ type: 'op.committed', docId: doc, docType: 'text', record: records[v - 1] }) as TandemEvent,
        ),
      );
      await waitDrained(bus);
    };
    await ev(busA, [1, 2, 3]);
    await a.flush();
    await ev(busB, [4, 5, 6]); // the document's partition moved to B
    await b.flush();
    await ev(busA, [7, 8, 9]); // and back to A, whose copy stopped at 3
    await w.saved(a, doc, 9);
    expect((await timeline(w, doc)).map(brief)).toEqual([['edit', 'ann', 1, 9, 9]]);
  });

  it('summarizes rich-text formatting and json1 paths', async () => {
    const w = world();
    const s = w.summarizer();
    const rich = await w.create('rich-text', [{ insert: 'Hello world\n' }]);
    await w.edit(rich, 'ann', 0, [{ retain: 6 }, { retain: 5, attributes: { bold: true } }]);
    const json = await w.create('json1', { items: [{ title: 'a' }, { title: 'b' }] });
    await w.edit(json, 'bob', 0, ['items', 1, 'title', { r: true, i: 'B' }]);
    await w.edit(json, 'bob', 1, ['items', 2, { i: { title: 'c' } }]);
    await w.saved(s, rich, 1);
    await w.saved(s, json, 2);
    const [richEntry] = (await timeline(w, rich)).slice(-1);
    expect(describeHistoryEntry(richEntry as HistoryEntry, 'rich-text')).toBe(
      'ann formatted 5 characters in characters 7–11 on 2026-11-21 09:00 UTC (1 edit)',
    );
    const [jsonEntry] = (await timeline(w, json)).slice(-1);
    expect(jsonEntry?.paths).toEqual([
      ['items', 1, 'title'],
      ['items', 2],
    ]);
    expect(describeHistoryEntry(jsonEntry as HistoryEntry, 'json1')).toBe(
      'bob inserted 2 values, deleted 1 value in items/1/title and 1 more place from 2026-11-21 09:00 to 2026-11-21 09:01 UTC (2 edits)',
    );
  });

  it('forgets a deleted document', async () => {
    const w = world();
    const s = w.summarizer();
    const doc = await w.create('text');
    await w.append(doc, 'ann', 0, 'x');
    await w.saved(s, doc, 1);
    await w.metadata.remove(doc);
    w.engine.emit([{ type: 'doc.deleted', docId: doc, at: T0 }]);
    await waitDrained(w.events);
    await s.flush();
    expect(await w.store.state(doc)).toEqual({ version: -1, latest: [] });
  });

  it('adds up to what the ops did, whatever the order of events, redeliveries and restarts (randomized)', async () => {
    const seed = seedFromEnv('HISTORY_SEED', Math.floor(Math.random() * 2 ** 31));
    console.log(`history seed: ${seed} (replay with HISTORY_SEED=${seed})`);
    const random = new Random(seed);
    const w = world();
    const bus = new InProcessEventBus(5);
    let s = w.summarizer({ events: bus, catchUp: false, flushMs: random.int(3) });
    const doc = await w.create('text');
    const users = ['ann', 'bob', 'cy'];
    let minute = 0;
    for (let i = 0; i < 120; i++) {
      minute += random.pick([0.1, 0.5, 2, 6]);
      const { snapshot } = await w.engine.open(doc);
      const length = [...(snapshot as string)].length;
      const at = random.int(length + 1);
      const cut = Math.min(random.int(4), length - at);
      const op = cut > 0 && random.bool(0.4) ? [at, { d: cut }] : [at, 'ab'.repeat(random.range(1, 3))];
      await w.edit(doc, random.pick(users), minute, at === 0 ? op.slice(1) : op);
    }
    const records = await w.opLog.read(doc, 1);
    // Delivery: in order per document, but with repeats, gaps, and restarts.
    for (let v = 1; v <= records.length; ) {
      const n = random.range(1, 8);
      const batch = records.slice(v - 1, v - 1 + n);
      if (random.bool(0.8)) {
        await bus.publish(
          batch.map(
            (record) => ({ type: 'op.committed', docId: doc, docType: 'text', record }) as TandemEvent,
          ),
        );
      }
      if (random.bool(0.2)) v = Math.max(1, v - random.int(5));
      else v += n;
      if (random.bool(0.05)) {
        await waitDrained(bus);
        await s.stop();
        s = w.summarizer({ events: bus, catchUp: false, flushMs: random.int(3) });
      }
    }
    const last = records[records.length - 1];
    if (last) {
      await bus.publish([{ type: 'op.committed', docId: doc, docType: 'text', record: last }]);
    }
    await w.saved(s, doc, records.length);

    const entries = (await timeline(w, doc)).filter((e) => e.kind === 'edit');
    const type = getDocType('text');
    for (const user of users) {
      const mine = records.filter((r) => r.author === user);
      const theirs = entries.filter((e) => e.userId === user);
      expect(
        theirs.reduce((n, e) => n + e.ops, 0),
        `${user}'s ops, seed ${seed}`,
      ).toBe(mine.length);
      const sum = (k: 'inserted' | 'deleted') => mine.reduce((n, r) => n + type.extent(r.op)[k], 0);
      expect(
        theirs.reduce((n, e) => n + e.inserted, 0),
        `${user}'s inserts, seed ${seed}`,
      ).toBe(sum('inserted'));
      expect(
        theirs.reduce((n, e) => n + e.deleted, 0),
        `${user}'s deletes, seed ${seed}`,
      ).toBe(sum('deleted'));
      // A new session exactly where the user paused for more than 5 minutes.
      const starts = mine.filter((r, i) => i === 0 || r.ts - (mine[i - 1] as { ts: number }).ts > 5 * MINUTE);
      expect(
        theirs.map((e) => e.fromVersion),
        `${user}'s sessions, seed ${seed}`,
      ).toEqual(starts.map((r) => r.version));
    }
  }, 60_000);
});

async function waitDrained(bus: InProcessEventBus): Promise<void> {
  while ((bus.lag()[HISTORY_GROUP] ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 5));
}
