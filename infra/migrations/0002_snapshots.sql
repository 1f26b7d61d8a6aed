-- The snapshot service (issue 5): a checksum on every snapshot, and what the metadata
-- keeps about each document's snapshots.

-- SHA-256 (hex) of the canonical JSON of data (object keys sorted at every depth), written
-- with the row and checked on every read: a row whose data no longer matches is skipped in
-- favour of the one before it. NULL on rows written before this migration, which are
-- trusted as they are (there is nothing to check them against).
ALTER TABLE snapshots ADD COLUMN checksum text;

-- The newest snapshot version the snapshot service has stored; NULL until it records one.
ALTER TABLE documents ADD COLUMN latest_snapshot bigint CHECK (latest_snapshot >= 0);

-- A copy of the document's content at version 0, away from its snapshots: what the op log
-- is replayed onto when every snapshot of the document is corrupt (version 0 may hold the
-- content the document was created with, which no op carries). NULL until the snapshot
-- service has copied it (on doc.created, and for documents it has not seen, such as those
-- created before this migration, when it starts), and while it is NULL the document is
-- never rebuilt, so a document whose creation is still writing version 0 cannot be loaded
-- as an empty one. json, not jsonb, as snapshots.data.
ALTER TABLE documents ADD COLUMN initial_content json;

