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
