import {
  type CollabEngine,
  type EventBus,
  eachDocument,
  gridDelayMs,
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
   * search lags edits by at most three and a half seconds (this plus the grid step, a sixth
   * of it), and a document being typed into costs one re-index per 3.5 seconds whatever its
   * op rate; each re-index reads and writes the whole content, and at one second the
   * re-indexing of 100 busy documents cost the embedded server more CPU than committing
   * their ops (docs/benchmarks.md). It is also how long an indexed document must go without
   * a change before its stale mark is cleared.
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
  /**
   * Indexes every document with pending changes now, then clears the marks of the documents
   * whose index is current without waiting for them to settle, and waits for all of it.
   */
  flush(): Promise<void>;
  /**
   * Stops consuming events, then flushes, so a clean shutdown loses no change and leaves no
   * mark behind that would make the next start re-index documents already indexed.
   */
  stop(): Promise<void>;
}

/** The consumer group: one indexer per deployment gets each event. */
export const SEARCH_INDEXER_GROUP = 'search-indexer';

/**
 * Due times are rounded up to a grid of a sixth of the debounce (500 ms at the default), so
 * that the documents that fall due within one step are indexed, and settled, in the same
 * timers phase (see gridDelayMs): their writes start in the same turn, which the SQL adapters
 * coalesce into one statement. 100 documents typed into at once then cost at most two index batches and two
 * batches of cleared marks a second, instead of one statement per document per debounce each,
 * for a lag at most a sixth longer.
 */
const GRID_STEPS_PER_DEBOUNCE = 6;

/** What a document waits for: its re-index, or once indexed, the clearing of its mark. */
type Step = 'index' | 'settle';

/**
 * Keeps the search index in step with the documents, from the event stream. A change
 * (op, creation, rename, restore) marks its document for re-indexing `debounceMs` later;
 * further changes in that window ride along, so the index lags by at most `debounceMs`
 * plus one grid step however fast a document is edited (a trailing debounce would never
 * index a document that is edited without pause). A re-index reads the current title and
 * content, so it never needs the events in between.
 *
 * Work on one document runs one step at a time, in order: a deletion waits for an index
 * write already in flight, so that write cannot put the deleted document back.
 *
 * A failing index is retried with a doubling delay, never dropped: the index is a derived
 * view that must catch up when its store returns (ARCHITECTURE.md, "degrade, don't stop").
 * A failing removal is thrown back to the event bus, which retries the event.
 *
 * An event is acknowledged before its document is indexed (that is the debounce), so the
 * document is first marked stale in the metadata store: an indexer killed within the
 * debounce re-indexes the marked documents when it starts. The mark stays while the document
 * keeps changing, and is cleared only once it has been indexed and then gone `debounceMs`
 * without a change (it has settled): clearing it after every re-index cost a document being
 * typed into two writes per debounce, a clear and the next op's mark, which under load were
 * most of the embedded server's statements.
 */
export function startSearchIndexer(deps: SearchIndexerDeps): SearchIndexer {
  const { engine, metadata, search, log } = deps;
  const debounceMs = deps.debounceMs ?? 3000;
  const maxRetryDelayMs = Math.max(deps.maxRetryDelayMs ?? 60_000, debounceMs);
  const gridMs = Math.max(1, Math.round(debounceMs / GRID_STEPS_PER_DEBOUNCE));
  /** Each document's next step, with the timer that takes it. */
  const next = new Map<string, { step: Step; timer: ReturnType<typeof setTimeout> }>();
  /**
   * The documents whose stored mark this indexer set (or found set when it started) and has
   * not begun to clear, with the write of the mark: a change to one of them needs no write.
   */
  const marked = new Map<string, Promise<void>>();
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

  /** Makes `step` the document's next one, unless a re-index is already due: the settling follows that. */
  function schedule(docId: string, step: Step, delayMs: number): void {
    if (stopped || next.get(docId)?.step === 'index') return;
    cancel(docId);
    const timer = setTimeout(
      () => (step === 'index' ? indexNow(docId) : settle(docId)),
      gridDelayMs(delayMs, gridMs),
    );
    timer.unref?.();
    next.set(docId, { step, timer });
  }

  function cancel(docId: string): void {
    clearTimeout(next.get(docId)?.timer);
    next.delete(docId);
  }

  /**
   * Schedules a re-index for a change (in place of a settling, which it cancels), and resolves
   * once the document's mark is stored, so the change's event is acknowledged only when a crash
   * can no longer lose it.
   */
  async function changed(docId: string): Promise<void> {
    if (stopped) return;
    schedule(docId, 'index', debounceMs);
    await mark(docId);
  }

  /**
   * Stores the mark unless this indexer holds it already. The write goes through the document's
   * queue, behind a clearing of the mark already queued, so the stored mark ends set.
   */
  function mark(docId: string): Promise<void> {
    const held = marked.get(docId);
    if (held !== undefined) return held;
    const marking = work.run(docId, () => metadata.setSearchStale(docId, true));
    marked.set(docId, marking);
    // A mark that failed was not stored: forget it, so that the retried event writes it.
    marking.catch(() => {
      if (marked.get(docId) === marking) marked.delete(docId);
    });
    return marking;
  }

  function indexNow(docId: string): void {
    cancel(docId);
    void work.run(docId, () => index(docId));
  }

  async function index(docId: string): Promise<void> {
    try {
      const title = titles.get(docId) ?? (await metadata.get(docId))?.title;
      if (title === undefined) {
        // Deleted since the change: its doc.deleted event removes it too; removing here
        // as well covers an index that missed that event. The mark went with the metadata.
        await search.remove(docId);
        marked.delete(docId);
      } else {
        titles.set(docId, title);
        const doc = await engine.open(docId);
        await search.upsert({ docId, title, content: contentText(doc.type, doc.snapshot) });
        if (marked.has(docId)) schedule(docId, 'settle', debounceMs);
      }
      failures.delete(docId);
    } catch (err) {
      const attempt = (failures.get(docId) ?? 0) + 1;
      failures.set(docId, attempt);
      const delayMs = retryDelayMs(attempt + 1, debounceMs, maxRetryDelayMs);
      log.warn({ err, docId, attempt, retryInMs: delayMs }, 'search indexing failed; will retry');
      schedule(docId, 'index', delayMs);
    }
  }

  /**
   * Clears the mark of a document whose index is current. It leaves `marked` before the
   * clearing is queued, so that a change from now on queues a new mark behind it.
   */
  function settle(docId: string): void {
    cancel(docId);
    if (!marked.delete(docId)) return;
    work
      .run(docId, () => metadata.setSearchStale(docId, false))
      .catch((err: unknown) => {
        // Left set, the mark costs one needless re-index when an indexer next starts.
        log.warn({ err, docId }, 'could not clear a search mark');
      });
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
        cancel(event.docId);
        marked.delete(event.docId);
        failures.delete(event.docId);
        await work.run(event.docId, () => search.remove(event.docId));
        return;
      case 'doc.permissions':
        // The index filters by the permissions at query time: nothing to re-index.
        return;
    }
  }

  /**
   * Re-indexes the documents a previous indexer marked and did not index. Their marks count
   * as this indexer's, so they are cleared once the documents settle.
   */
  async function catchUp(): Promise<void> {
    await eachDocument(
      (after) => metadata.searchStale({ limit: 200, ...(after === undefined ? {} : { after }) }),
      async (docId) => {
        if (!marked.has(docId)) marked.set(docId, Promise.resolve());
        if (!next.has(docId)) indexNow(docId);
      },
      { stopped: () => stopped, stopping, log, itemFailed: 'could not re-index a document left stale' },
    );
    await work.idle();
  }

  const unsubscribe = deps.events.subscribe(SEARCH_INDEXER_GROUP, handle);
  const caughtUp = catchUp();

  async function flush(): Promise<void> {
    for (const [docId, { step }] of [...next]) if (step === 'index') indexNow(docId);
    await work.idle();
    // A document still marked with no re-index due or running (a timer may have started one
    // since) and no failure has been indexed since its last change: its index is current.
    for (const docId of [...marked.keys()]) {
      if (next.get(docId)?.step !== 'index' && !work.busy(docId) && !failures.has(docId)) settle(docId);
    }
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
      for (const docId of [...next.keys()]) cancel(docId);
    },
  };
}
