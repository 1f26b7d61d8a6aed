import {
  type CollabEngine,
  type EventBus,
  eachDocument,
  KeyedQueue,
  type Log,
  type MetadataStore,
  retryDelayMs,
  type SearchIndex,
  type TandemEvent,
} from '@tandem/core';
import { contentText } from './content-text.js';

export interface SearchIndexerDeps {
  events: EventBus;
  engine: Pick<CollabEngine, 'open'>;
  /** Titles, and the marks of documents with changes not yet indexed (see MetadataStore.setSearchStale). */
  metadata: Pick<MetadataStore, 'get' | 'setSearchStale' | 'searchStale'>;
  search: Pick<SearchIndex, 'upsert' | 'remove'>;
  /**
   * How long after a document's first unindexed change it is indexed. Default 3000 ms:
   * search lags edits by at most three seconds, and a document being typed into costs one
   * re-index per three seconds whatever its op rate; each re-index reads and writes the
   * whole content, and at one second the re-indexing of 100 busy documents cost the
   * embedded server more CPU than committing their ops (docs/benchmarks.md).
   */
  debounceMs?: number;
  /**
   * Longest wait between attempts to index a document while the index is failing.
   * Default 60 s: the wait doubles from `debounceMs` up to this, so an index that is down
   * for an hour costs each changed document about 60 attempts, not thousands.
   */
  maxRetryDelayMs?: number;
  log: Log;
}

export interface SearchIndexer {
  /** Resolves when the documents marked stale when it started have been indexed (or have failed and wait for their retry). */
  readonly caughtUp: Promise<void>;
  /** Indexes every document with pending changes now, and waits for all indexing in progress. */
  flush(): Promise<void>;
  /** Stops consuming events, then flushes what is pending, so a clean shutdown loses no change. */
  stop(): Promise<void>;
}

/** The consumer group: one indexer per deployment gets each event. */
export const SEARCH_INDEXER_GROUP = 'search-indexer';

/**
 * Keeps the search index in step with the documents, from the event stream. A change
 * (op, creation, rename, restore) marks its document for re-indexing `debounceMs` later;
 * further changes in that window ride along, so the index lags by at most `debounceMs`
 * however fast a document is edited (a trailing debounce would never index a document
 * that is edited without pause). A re-index reads the current title and content, so it
 * never needs the events in between.
 *
 * Work on one document runs one step at a time, in order: a deletion waits for an index
 * write already in flight, so that write cannot put the deleted document back.
 *
 * A failing index is retried with a doubling delay, never dropped: the index is a derived
 * view that must catch up when its store returns (ARCHITECTURE.md, "degrade, don't stop").
 * A failing removal is thrown back to the event bus, which retries the event.
 *
 * An event is acknowledged before its document is indexed (that is the debounce), so the
 * document is first marked stale in the metadata store, and the mark cleared once indexed:
 * an indexer killed within the debounce re-indexes the marked documents when it starts.
 */
export function startSearchIndexer(deps: SearchIndexerDeps): SearchIndexer {
  const { engine, metadata, search, log } = deps;
  const debounceMs = deps.debounceMs ?? 3000;
  const maxRetryDelayMs = Math.max(deps.maxRetryDelayMs ?? 60_000, debounceMs);
  /** Documents waiting to be indexed, with the timer that will do it. */
  const pending = new Map<string, ReturnType<typeof setTimeout>>();
  /** Titles learnt from events (or read once), so that a re-index after an op reads no metadata. */
  const titles = new Map<string, string>();
  /** Indexing attempts that failed in a row, per document. */
  const failures = new Map<string, number>();
  const work = new KeyedQueue();
  let stopped = false;
  let wake: () => void = () => {};
  const stopping = new Promise<void>((resolve) => {
    wake = resolve;
  });

  function schedule(docId: string, delayMs: number): void {
    if (stopped || pending.has(docId)) return;
    const timer = setTimeout(() => runNow(docId), delayMs);
    timer.unref?.();
    pending.set(docId, timer);
  }

  /**
   * Schedules a re-index for a change, marking the document stale first when no re-index is
   * scheduled yet; resolves once the mark is stored, so the change's event is acknowledged
   * only when a crash can no longer lose it. The mark goes through the document's queue, after
   * any index in flight, whose clearing of the mark it must follow.
   */
  async function changed(docId: string): Promise<void> {
    if (stopped || pending.has(docId)) return;
    schedule(docId, debounceMs);
    await work.run(docId, () => metadata.setSearchStale(docId, true));
  }

  function runNow(docId: string): void {
    clearTimeout(pending.get(docId));
    pending.delete(docId);
    void work.run(docId, () => index(docId));
  }

  async function index(docId: string): Promise<void> {
    try {
      const title = titles.get(docId) ?? (await metadata.get(docId))?.title;
      if (title === undefined) {
        // Deleted since the change: its doc.deleted event removes it too; removing here
        // as well covers an index that missed that event.
        await search.remove(docId);
      } else {
        titles.set(docId, title);
        const doc = await engine.open(docId);
        await search.upsert({ docId, title, content: contentText(doc.type, doc.snapshot) });
        await metadata.setSearchStale(docId, false);
      }
      failures.delete(docId);
    } catch (err) {
      const attempt = (failures.get(docId) ?? 0) + 1;
      failures.set(docId, attempt);
      const delayMs = retryDelayMs(attempt + 1, debounceMs, maxRetryDelayMs);
      log.warn({ err, docId, attempt, retryInMs: delayMs }, 'search indexing failed; will retry');
      schedule(docId, delayMs);
    }
  }

  async function handle(event: TandemEvent): Promise<void> {
    switch (event.type) {
      case 'doc.created':
      case 'doc.renamed':
        titles.set(event.docId, event.title);
        return changed(event.docId);
      case 'op.committed':
      case 'doc.restored':
        return changed(event.docId);
      case 'doc.deleted':
        titles.delete(event.docId);
        clearTimeout(pending.get(event.docId));
        pending.delete(event.docId);
        failures.delete(event.docId);
        await work.run(event.docId, () => search.remove(event.docId));
        return;
      case 'doc.permissions':
        // The index filters by the permissions at query time: nothing to re-index.
        return;
    }
  }

  /** Re-indexes the documents a previous indexer marked and did not index. */
  async function catchUp(): Promise<void> {
    await eachDocument(
      (after) => metadata.searchStale({ limit: 200, ...(after === undefined ? {} : { after }) }),
      async (docId) => {
        if (!pending.has(docId)) runNow(docId);
      },
      { stopped: () => stopped, stopping, log, itemFailed: 'could not re-index a document left stale' },
    );
    await work.idle();
  }

  const unsubscribe = deps.events.subscribe(SEARCH_INDEXER_GROUP, handle);
  const caughtUp = catchUp();

  async function flush(): Promise<void> {
    for (const docId of [...pending.keys()]) runNow(docId);
    await work.idle();
  }

  return {
    caughtUp,
    flush,
    async stop() {
      unsubscribe();
      stopped = true;
      wake();
      await caughtUp;
      await flush();
      for (const timer of pending.values()) clearTimeout(timer);
      pending.clear();
    },
  };
}
