-- The search indexer (issue 5): documents with changes the search index does not hold yet,
-- marked before the indexer's debounce and cleared after it indexed them, so an indexer
-- killed in between (its events already acknowledged) re-indexes them when it starts.
ALTER TABLE documents ADD COLUMN search_stale boolean NOT NULL DEFAULT false;

CREATE INDEX documents_search_stale_idx ON documents (id) WHERE search_stale AND deleted_at IS NULL;
