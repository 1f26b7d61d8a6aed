import type { Log } from './engine/observer.js';
import type { Page } from './ports/metadata.js';
import { retryDelayMs } from './retry-delay.js';

export interface EachDocumentOptions {
  /** True once the caller is stopping: no further page or item is started. */
  stopped(): boolean;
  /** Resolves when the caller stops, cutting a pause short. */
  stopping: Promise<void>;
  log: Log;
  /** The warning logged, with the document id, when `visit` throws for one item. */
  itemFailed: string;
}

/**
 * Visits every item of a paged listing of documents, page after page: what a consumer of
 * the document events does when it starts, to catch up on what it missed while it was down.
 * A page that fails to load is asked for again after a pause that doubles from 1 s to 60 s;
 * an item whose visit throws is logged and left (to its document's next event, or the next
 * start), so that one document cannot hold up the others.
 */
export async function eachDocument<T extends { docId: string } | string>(
  list: (after: string | undefined) => Promise<Page<T>>,
  visit: (item: T) => Promise<void>,
  options: EachDocumentOptions,
): Promise<void> {
  const { log } = options;
  let after: string | undefined;
  for (let failures = 0; !options.stopped(); ) {
    let page: Page<T>;
    try {
      page = await list(after);
    } catch (err) {
      failures += 1;
      const delayMs = retryDelayMs(failures);
      log.warn({ err, retryInMs: delayMs }, 'could not list documents to catch up on; will retry');
      await Promise.race([pause(delayMs), options.stopping]);
      continue;
    }
    failures = 0;
    for (const item of page.items) {
      if (options.stopped()) return;
      try {
        await visit(item);
      } catch (err) {
        log.warn({ err, docId: typeof item === 'string' ? item : item.docId }, options.itemFailed);
      }
    }
    if (page.next === null) return;
    after = page.next;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });
}
