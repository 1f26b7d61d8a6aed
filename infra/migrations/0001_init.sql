-- The one schema of Tandem's SQL stores: PGlite in embedded mode, PostgreSQL 15+ in
-- distributed mode. Applied once by @tandem/sql-migrations (libs/sql-migrations), inside
-- a transaction, so it must stay plain SQL that both accept: no extensions, no psql
-- meta-commands, no CREATE INDEX CONCURRENTLY (which cannot run in a transaction).

-- Documents. Timestamps are written by the application (JS Date, millisecond precision)
-- rather than by now(), so the list cursor, which carries updated_at, is exact.
-- deleted_at marks a soft delete: the row stays so that a late event for a deleted
-- document (a touch, a search upsert) finds it and is ignored, instead of resurrecting it.
CREATE TABLE documents (
  id          text        PRIMARY KEY,
  title       text        NOT NULL,
  type        text        NOT NULL,
  owner_id    text        NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  deleted_at  timestamptz
);

-- Who may do what. The owner's row is written with the document, in the same statement.
CREATE TABLE permissions (
  doc_id   text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  user_id  text NOT NULL,
  role     text NOT NULL CHECK (role IN ('owner', 'editor', 'commenter', 'viewer')),
  PRIMARY KEY (doc_id, user_id)
);

-- "The documents this user can see": list() and search() start from the user.
CREATE INDEX permissions_user_idx ON permissions (user_id, doc_id);

-- The op log, the source of truth. One row per committed op.
-- op is json, not jsonb: jsonb refuses the escape \u0000 (a NUL character is a valid
-- character in a text document and passes op validation), and json keeps the op's text
-- exactly as it was committed. Nothing ever queries inside an op, so jsonb's indexable
-- binary form would buy nothing.
CREATE TABLE op_log (
  doc_id     text   NOT NULL,
  version    bigint NOT NULL CHECK (version >= 1),
  op         json   NOT NULL,
  author     text   NOT NULL,
  client_id  text   NOT NULL,
  seq        bigint NOT NULL CHECK (seq >= 1),
  -- Commit time, milliseconds since the epoch.
  ts         bigint NOT NULL,
  PRIMARY KEY (doc_id, version)
);

-- lastOfClient: the newest op of one client on one document is the first entry here.
CREATE INDEX op_log_client_idx ON op_log (doc_id, client_id, seq DESC);

-- Document contents at chosen versions (json for the same reason as op_log.op: a text
-- snapshot is a JSON string, and may contain NUL).
CREATE TABLE snapshots (
  doc_id   text   NOT NULL,
  version  bigint NOT NULL CHECK (version >= 0),
  type     text   NOT NULL,
  data     json   NOT NULL,
  PRIMARY KEY (doc_id, version)
);

-- Full-text search. The 'simple' configuration lowercases and splits words without
-- stemming or stop words, so it works for every language (and for none: code, names).
-- A title match weighs more (A) than a content match (B).
CREATE TABLE search_docs (
  doc_id   text NOT NULL PRIMARY KEY,
  title    text NOT NULL,
  content  text NOT NULL,
  tsv      tsvector GENERATED ALWAYS AS (
             setweight(to_tsvector('simple', title), 'A') ||
             setweight(to_tsvector('simple', content), 'B')
           ) STORED
);

CREATE INDEX search_docs_tsv_idx ON search_docs USING gin (tsv);
