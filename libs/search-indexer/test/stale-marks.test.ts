import { InProcessEventBus } from '@tandem/adapters-memory';
import type { TandemEvent } from '@tandem/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type SearchIndexer, startSearchIndexer } from '../src/index.js';
import { committed, created, log, RecordingIndex, World, warn } from './world.js';

/**
 * On a fake clock that starts at 0, so every due time is exact: with a debounce of 600 ms the
 * grid step is 100 ms, and a change at t is indexed at the first multiple of 100 at or after
 * t + 600. Everything the indexer awaits here is a promise, so letting the real setImmediate
 * run completes whatever the timers started.
 */
const debounceMs = 600;

let indexer: SearchIndexer | undefined;

beforeEach(() => {
  vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});

afterEach(async () => {
  await indexer?.stop();
  indexer = undefined;
  vi.useRealTimers();
  warn.mockClear();
});

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

function setup(world = new World()) {
  const search = new RecordingIndex();
  const events = new InProcessEventBus(5);
  indexer = startSearchIndexer({
    events,
    engine: world.engine,
    metadata: world.metadata,
    search,
    debounceMs,
    log,
  });
  /** Publishes and waits until the indexer has acknowledged every event (its marks are stored). */
  const publish = async (...list: TandemEvent[]) => {
    await events.publish(list);
    while ((events.lag()['search-indexer'] ?? 0) > 0) await settled();
  };
  /** Moves the clock to `ms` since the start, running the timers due on the way. */
  const advanceTo = (ms: number) => vi.advanceTimersByTimeAsync(ms - Date.now());
  return { world, search, publish, advanceTo, indexer };
}

function withDocs(...ids: string[]): World {
  const world = new World();
  for (const id of ids) world.docs.set(id, { title: id, type: 'text', version: 0, snapshot: `${id} text` });
  return world;
}

describe('the search indexer stale marks', () => {
  it('writes the mark of a document typed into without pause once, not once per re-index', async () => {
    const { world, search, publish, advanceTo } = setup(withDocs('d1'));
    for (let t = 0, v = 1; t <= 3000; t += 100, v++) {
      await advanceTo(t);
      await publish(committed('d1', v));
    }
    // Each index runs just before the change made at its instant, which is indexed 600 ms later.
    expect(search.times).toEqual([600, 1200, 1800, 2400, 3000]);
    expect(world.marks).toEqual(['d1 true']);
  });

  it('clears the mark only once the indexed document has gone debounceMs without a change', async () => {
    const { world, search, publish, advanceTo } = setup(withDocs('d1'));
    await publish(committed('d1', 1));
    await advanceTo(600);
    expect(search.calls).toEqual(['upsert d1']);
    await advanceTo(1199);
    expect([...world.stale]).toEqual(['d1']);
    await advanceTo(1200);
    expect([...world.stale]).toEqual([]);
    expect(world.marks).toEqual(['d1 true', 'd1 false']);
  });

  it('cancels the clearing when a change arrives while the document settles, writing nothing for it', async () => {
    const { world, search, publish, advanceTo } = setup(withDocs('d1'));
    await publish(committed('d1', 1));
    await advanceTo(900);
    await publish(committed('d1', 2));
    expect(world.marks).toEqual(['d1 true']);
    await advanceTo(1200);
    expect([...world.stale]).toEqual(['d1']);
    await advanceTo(1500);
    expect(search.times).toEqual([600, 1500]);
    await advanceTo(2100);
    expect([...world.stale]).toEqual([]);
    expect(world.marks).toEqual(['d1 true', 'd1 false']);
  });

  it('marks a document again when it changes right after its clearing is queued, and the mark ends set', async () => {
    const { world, publish, advanceTo } = setup(withDocs('d1'));
    await publish(committed('d1', 1));
    await advanceTo(600);
    let open: () => void = () => {};
    world.gate = new Promise((resolve) => {
      open = resolve;
    });
    await advanceTo(1200);
    expect(world.marks).toEqual(['d1 true']);
    // The clearing is held by the store; the change's event must wait for its own mark behind it.
    const acknowledged = publish(committed('d1', 2));
    await settled();
    open();
    await acknowledged;
    expect(world.marks).toEqual(['d1 true', 'd1 false', 'd1 true']);
    expect([...world.stale]).toEqual(['d1']);
  });

  it('indexes the documents due within one grid step in the same timers phase', async () => {
    const { search, publish, advanceTo } = setup(withDocs('a', 'b', 'c', 'd'));
    await advanceTo(10);
    await publish(created('a', 'a'));
    await advanceTo(40);
    await publish(created('b', 'b'));
    await advanceTo(100);
    await publish(created('c', 'c'));
    await advanceTo(110);
    await publish(created('d', 'd'));
    await advanceTo(800);
    expect(search.calls).toEqual(['upsert a', 'upsert b', 'upsert c', 'upsert d']);
    expect(search.times).toEqual([700, 700, 700, 800]);
  });

  it('clears the marks a killed indexer left, once their documents are indexed and settled', async () => {
    const world = withDocs('d1', 'd2');
    world.stale.add('d1');
    const { search, advanceTo, indexer } = setup(world);
    await indexer.caughtUp;
    expect(search.calls).toEqual(['upsert d1']);
    expect([...world.stale]).toEqual(['d1']);
    await advanceTo(600);
    expect([...world.stale]).toEqual([]);
    expect(world.marks).toEqual(['d1 false']);
  });

  it('leaves, after a clean stop, no mark but those of documents whose index failed', async () => {
    const { world, search, publish, advanceTo, indexer } = setup(withDocs('settling', 'pending', 'broken'));
    await publish(created('settling', 'settling'));
    await advanceTo(600);
    await publish(created('pending', 'pending'), created('broken', 'broken'));
    search.broken.add('broken');
    await indexer.stop();
    expect(search.calls).toEqual(['upsert settling', 'upsert pending']);
    expect([...world.stale]).toEqual(['broken']);
  });
});
