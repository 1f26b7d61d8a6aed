import { CallBatcher, indexedPart, type SearchHit, type SearchIndex, snippetHtml } from '@tandem/core';
import type { SqlClient } from './sql.js';

/**
 * ts_headline marks matches with these two control characters instead of <mark>, so the
 * fragment can be HTML-escaped first (document text is user input: "<img onerror=…>"
 * must reach the browser as text) and the marks put in afterwards. Both are removed from
 * indexed text, so they cannot come from the document itself.
 */
const START = '\u0001';
const STOP = '\u0002';
const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxFragments=2`;

interface IndexedDoc {
  docId: string;
  title: string;
  content: string;
}

interface HitRow {
  doc_id: string;
  title: string;
  snippet: string;
  score: number;
}

/**
 * Full-text search with Postgres's text search over the search_docs table, in the same
 * database as the documents and permissions it filters by. The 'simple' configuration
 * (no stemming, no stop words) works for any language; a title match outweighs a content
 * match (weights A and B in the generated tsvector column).
 */
export class SqlSearchIndex implements SearchIndex {
  private readonly upserts = new CallBatcher<IndexedDoc, undefined>(
    (docs) => this.upsertAll(docs),
    (doc) => doc.docId,
  );

  constructor(private readonly db: SqlClient) {}

  upsert(doc: IndexedDoc): Promise<void> {
    return this.upserts.call({
      docId: doc.docId,
      title: clean(doc.title),
      content: clean(indexedPart(doc.content)),
    });
  }

  /** The upserts of one turn in one statement: an indexer re-indexes its due documents together. */
  private async upsertAll(docs: readonly IndexedDoc[]): Promise<undefined[]> {
    await this.db.query(
      `INSERT INTO search_docs (doc_id, title, content)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (doc_id) DO UPDATE SET title = excluded.title, content = excluded.content`,
      [docs.map((d) => d.docId), docs.map((d) => d.title), docs.map((d) => d.content)],
    );
    return docs.map(() => undefined);
  }

  async remove(docId: string): Promise<void> {
    await this.db.query('DELETE FROM search_docs WHERE doc_id = $1', [docId]);
  }

  async search(query: string, options: { userId: string; limit: number }): Promise<SearchHit[]> {
    // A query without a letter or digit has no lexemes: nothing can match it, and Postgres
    // would say so with a notice on every call.
    if (!/[\p{L}\p{N}]/u.test(query) || options.limit < 1) return [];
    // The snippet is computed for the returned rows only: ts_headline re-parses the
    // whole content, which costs far more than ranking from the stored tsvector.
    const { rows } = await this.db.query<HitRow>(
      `WITH q AS (SELECT websearch_to_tsquery('simple', $1) AS q),
       hits AS (
         SELECT s.doc_id, s.title, s.content, ts_rank(s.tsv, q.q) AS score, d.updated_at
         FROM search_docs s
           CROSS JOIN q
           JOIN documents d ON d.id = s.doc_id AND d.deleted_at IS NULL
           JOIN permissions p ON p.doc_id = s.doc_id AND p.user_id = $2
         WHERE s.tsv @@ q.q
         ORDER BY score DESC, d.updated_at DESC, s.doc_id
         LIMIT $3
       )
       SELECT hits.doc_id, hits.title, hits.score, ts_headline('simple', hits.content, q.q, $4) AS snippet
       FROM hits CROSS JOIN q
       ORDER BY hits.score DESC, hits.updated_at DESC, hits.doc_id`,
      [query, options.userId, options.limit, HEADLINE_OPTIONS],
    );
    return rows.map((row) => ({
      docId: row.doc_id,
      title: row.title,
      snippet: snippetHtml(row.snippet, START, STOP),
      score: Number(row.score),
    }));
  }
}

/** Removes what Postgres text cannot hold (U+0000) and the two snippet markers. */
function clean(text: string): string {
  return text.replaceAll('\u0000', ' ').replaceAll(START, ' ').replaceAll(STOP, ' ');
}
