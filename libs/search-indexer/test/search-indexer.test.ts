import { InProcessEventBus } from '@tandem/adapters-memory';
import type { TandemEvent } from '@tandem/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contentText, type SearchIndexer, startSearchIndexer } from '../src/index.js';
import { at, committed, created, log, RecordingIndex, World, warn } from './world.js';

let indexer: SearchIndexer | undefined;
afterEach(async () => {
  await indexer?.stop();
  indexer = undefined;
  warn.mockClear();
});

function setup(debounceMs: number, maxRetryDelayMs?: number) {
  const world = new World();
  const search = new RecordingIndex();
  const events = new InProcessEventBus(5);
  indexer = startSearchIndexer({
    events,
    engine: world.engine,
    metadata: world.metadata,
    search,
    debounceMs,
    log,
    ...(maxRetryDelayMs === undefined ? {} : { maxRetryDelayMs }),
  });
  /** Publishes and waits until the indexer's consumer has taken every event. */
  const publish = async (...list: TandemEvent[]) => {
    await events.publish(list);
    await vi.waitFor(() => expect(events.lag()['search-indexer'] ?? 0).toBe(0));
  };
  return { world, search, events, publish, indexer };
}

describe('contentText', () => {
  it('indexes text as it is', () => {
    expect(contentText('text', 'hello world')).toBe('hello world');
  });

  it('indexes rich-text as its string inserts, without embeds or formatting', () => {
    const delta = [
      { insert: 'Hello ' },
      { insert: 'bold', attributes: { bold: true } },
      { insert: { image: 'x.png' } },
      { insert: '\n' },
    ];
    expect(contentText('rich-text', delta)).toBe('Hello bold\n');
  });

  it('indexes json1 as every string value, depth first, one per line, without keys', () => {
    const board = {
      title: 'Board',
      cards: [
        { title: 'Buy milk', done: false, tags: ['home'] },
        { title: 'Call Bob', n: 3 },
      ],
    };
    expect(contentText('json1', board)).toBe('Board\nBuy milk\nhome\nCall Bob');
    expect(contentText('json1', null)).toBe('');
    expect(contentText('json1', 'just a string')).toBe('just a string');
  });

  it('copes with a very deeply nested json1 document', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(contentText('json1', deep)).toBe('bottom');
  });

  it('yields no text for a snapshot of the wrong shape', () => {
    expect(contentText('text', 42)).toBe('');
    expect(contentText('rich-text', 'not a delta')).toBe('');
  });
});

describe('startSearchIndexer', () => {
  it('indexes a new document with its title and content after the debounce', async () => {
    const { world, search, publish } = setup(200);
    world.docs.set('d1', { title: 'Plan', type: 'text', version: 0, snapshot: 'grow tomatoes' });
    await publish(created('d1', 'Plan'));
    expect(search.calls).toEqual([]);
    await vi.waitFor(() =>
      expect(search.entries.get('d1')).toEqual({ title: 'Plan', content: 'grow tomatoes' }),
    );
  });

  it('marks a changed document stale before acknowledging its event, and flush clears the mark once indexed', async () => {
    const { world, search, publish } = setup(10_000);
    world.docs.set('d1', { title: 'Plan', type: 'text', version: 1, snapshot: 'grow tomatoes' });
    await publish(committed('d1', 1));
    expect([...world.stale]).toEqual(['d1']);
    expect(search.calls).toEqual([]);
    await indexer?.flush();
    expect(search.entries.get('d1')).toEqual({ title: 'Plan', content: 'grow tomatoes' });
    expect([...world.stale]).toEqual([]);
  });

  it('indexes, when it starts, the documents a killed indexer left marked stale', async () => {
    const world = new World();
    world.docs.set('d1', { title: 'Plan', type: 'text', version: 3, snapshot: 'left behind' });
    world.docs.set('d2', { title: 'Other', type: 'text', version: 1, snapshot: 'indexed' });
    world.stale.add('d1');
    const search = new RecordingIndex();
    indexer = startSearchIndexer({
      events: new InProcessEventBus(5),
      engine: world.engine,
      metadata: world.metadata,
      search,
      debounceMs: 10_000,
      log,
    });
    await indexer.caughtUp;
    expect(search.calls).toEqual(['upsert d1']);
    expect(search.entries.get('d1')).toEqual({ title: 'Plan', content: 'left behind' });
    // Cleared once the document settles (stale-marks.test.ts), or here by the clean stop.
    expect([...world.stale]).toEqual(['d1']);
    await indexer.stop();
    expect([...world.stale]).toEqual([]);
  });

  it('coalesces a burst of changes into one re-index of the latest content', async () => {
    const { world, search, publish } = setup(30);
    world.docs.set('d1', { title: 'Plan', type: 'text', version: 0, snapshot: '' });
    const burst: TandemEvent[] = [created('d1', 'Plan')];
    for (let v = 1; v <= 50; v++) burst.push(committed('d1', v));
    world.docs.set('d1', { title: 'Plan B', type: 'text', version: 50, snapshot: 'x'.repeat(50) });
    await publish(...burst, { type: 'doc.renamed', docId: 'd1', title: 'Plan B', at });
    await vi.waitFor(() => expect(search.calls).toEqual(['upsert d1']));
    expect(search.entries.get('d1')).toEqual({ title: 'Plan B', content: 'x'.repeat(50) });
  });

  it('indexes a document that is edited without pause at most debounceMs and a grid step after its first change', async () => {
    const { world, search, publish } = setup(40);
    world.docs.set('d1', { title: 'Live', type: 'text', version: 0, snapshot: '' });
    const started = Date.now();
    let v = 0;
    while (search.calls.length === 0 && Date.now() - started < 2000) {
      v++;
      world.docs.set('d1', { title: 'Live', type: 'text', version: v, snapshot: `v${v}` });
      await publish(committed('d1', v));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(search.calls[0]).toBe('upsert d1');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('removes a deleted document and drops its pending re-index', async () => {
    const { world, search, publish, indexer } = setup(60 * 60_000);
    world.docs.set('d1', { title: 'Gone', type: 'text', version: 0, snapshot: 'soon gone' });
    await publish(created('d1', 'Gone'));
    await indexer.flush();
    await publish(committed('d1', 1), { type: 'doc.deleted', docId: 'd1', at });
    await indexer.flush();
    expect(search.calls).toEqual(['upsert d1', 'remove d1']);
  });

  it('lets a deletion wait for an index write in flight, so the write cannot bring the document back', async () => {
    const { world, search, publish, indexer } = setup(10_000);
    world.docs.set('d1', { title: 'Racing', type: 'text', version: 0, snapshot: 'x' });
    let open: () => void = () => {};
    search.gate = new Promise((resolve) => {
      open = resolve;
    });
    await publish(created('d1', 'Racing'));
    const flushed = indexer.flush();
    const deleted = publish({ type: 'doc.deleted', docId: 'd1', at });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(search.calls).toEqual([]);
    open();
    await flushed;
    await deleted;
    expect(search.calls).toEqual(['upsert d1', 'remove d1']);
    expect(search.entries.has('d1')).toBe(false);
  });

  it('takes titles from creation and rename events, reading the metadata only for a document it has not seen', async () => {
    const { world, search, publish, indexer } = setup(60 * 60_000);
    world.docs.set('d1', { title: 'Known', type: 'text', version: 0, snapshot: 'x' });
    let reads = 0;
    const get = world.metadata.get;
    world.metadata.get = (id: string) => {
      reads++;
      return get(id);
    };
    await publish(committed('d1', 1));
    await indexer.flush();
    expect(reads).toBe(1);
    await publish({ type: 'doc.renamed', docId: 'd1', title: 'Renamed', at }, committed('d1', 2));
    await indexer.flush();
    await publish(committed('d1', 3));
    await indexer.flush();
    expect(reads).toBe(1);
    expect(search.entries.get('d1')?.title).toBe('Renamed');
  });

  it('removes a document whose metadata is gone when its re-index runs', async () => {
    const { search, publish, indexer } = setup(10_000);
    await publish(committed('ghost', 3));
    await indexer.flush();
    expect(search.calls).toEqual(['remove ghost']);
  });

  it('ignores permission changes: the index filters by permission when searched', async () => {
    const { search, publish, indexer } = setup(10);
    await publish({ type: 'doc.permissions', docId: 'd1', userId: 'bob', role: 'viewer', at });
    await indexer.flush();
    expect(search.calls).toEqual([]);
  });

  it('retries a failing index with a growing delay until it succeeds, logging each failure', async () => {
    const { world, search, publish } = setup(5, 20);
    world.docs.set('d1', { title: 'Retry', type: 'rich-text', version: 0, snapshot: [{ insert: 'kept\n' }] });
    search.failures = 3;
    await publish(created('d1', 'Retry'));
    await vi.waitFor(() => expect(search.entries.get('d1')).toEqual({ title: 'Retry', content: 'kept\n' }));
    expect(warn).toHaveBeenCalledTimes(3);
    expect(warn.mock.calls.map(([fields]) => (fields as { attempt: number }).attempt)).toEqual([1, 2, 3]);
  });

  it('flush indexes everything pending at once', async () => {
    const { world, search, publish, indexer } = setup(60 * 60_000);
    world.docs.set('a', { title: 'A', type: 'text', version: 0, snapshot: 'a' });
    world.docs.set('b', { title: 'B', type: 'json1', version: 0, snapshot: { note: 'b' } });
    await publish(created('a', 'A'), created('b', 'B'));
    await indexer.flush();
    expect([...search.entries]).toEqual([
      ['a', { title: 'A', content: 'a' }],
      ['b', { title: 'B', content: 'b' }],
    ]);
  });

  it('stop indexes what is pending, then handles no more events', async () => {
    const { world, search, publish, events, indexer } = setup(60 * 60_000);
    world.docs.set('a', { title: 'A', type: 'text', version: 0, snapshot: 'a' });
    await publish(created('a', 'A'));
    await indexer.stop();
    expect(search.calls).toEqual(['upsert a']);
    await events.publish([{ type: 'doc.deleted', docId: 'a', at }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(search.calls).toEqual(['upsert a']);
  });
});
