export interface SearchHit {
  docId: string;
  title: string;
  /** A fragment of the content around the match, with matches wrapped in <mark>…</mark>. */
  snippet: string;
  score: number;
}

/** Full-text search over documents' titles and contents, filtered by the caller's permissions. */
export interface SearchIndex {
  upsert(doc: { docId: string; title: string; content: string }): Promise<void>;
  remove(docId: string): Promise<void>;
  /** The best matches among the documents `userId` may read. */
  search(query: string, options: { userId: string; limit: number }): Promise<SearchHit[]>;
}

/**
 * Only this many characters of a document's content are indexed, by every SearchIndex, so
 * both modes find the same documents. A Postgres tsvector holds at most 1 MiB, and the
 * worst text measured (short unique words) takes about 2.4 bytes of tsvector per character:
 * 250,000 characters stay near 600 KB, so an upsert never fails on size and stalls the
 * indexer behind it.
 */
export const MAX_INDEXED_CHARS = 250_000;

/** The indexed part of the content, never ending in half a surrogate pair. */
export function indexedPart(content: string): string {
  if (content.length <= MAX_INDEXED_CHARS) return content;
  const cut = content.slice(0, MAX_INDEXED_CHARS);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * A fragment whose matches an index marked with the characters `start` and `stop`, as
 * SearchHit.snippet wants it: the text HTML-escaped, the matches wrapped in <mark>.
 */
export function snippetHtml(fragment: string, start: string, stop: string): string {
  return fragment
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll(start, '<mark>')
    .replaceAll(stop, '</mark>');
}
