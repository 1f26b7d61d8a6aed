-- The history summarizer (issue 5): each document's timeline of creation, editing sessions
-- and restores, written from the document events.

CREATE TABLE history (
  doc_id text NOT NULL,
  -- The version of the entry's first op (0 for the creation): its key within the document.
  from_version bigint NOT NULL CHECK (from_version >= 0),
  to_version bigint NOT NULL CHECK (to_version >= from_version),
  kind text NOT NULL CHECK (kind IN ('created', 'edit', 'restore')),
  user_id text NOT NULL,
  -- Milliseconds since the epoch, as the op log's ts.
  started_at bigint NOT NULL,
  ended_at bigint NOT NULL,
  ops integer NOT NULL CHECK (ops >= 0),
  inserted bigint NOT NULL CHECK (inserted >= 0),
  deleted bigint NOT NULL CHECK (deleted >= 0),
  formatted bigint NOT NULL CHECK (formatted >= 0),
  -- Text types only: the positions the entry's ops touched.
  span_start bigint,
  span_end bigint,
  -- json1 only: the paths the entry's ops changed (a JSON array of paths).
  paths json NOT NULL,
  restored_version bigint,
  PRIMARY KEY (doc_id, from_version)
);

-- The summarizer's resume point (each user's newest entry) and the timeline filtered by user.
CREATE INDEX history_by_user ON history (doc_id, user_id, from_version DESC);
