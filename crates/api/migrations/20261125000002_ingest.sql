-- Where a document's title came from: the uploader ('user'), the file name
-- ('file') or the document's own metadata ('document'). Only a title the
-- uploader did not choose is replaced by the parsed one.
ALTER TABLE catalog.documents
    ADD COLUMN title_source text NOT NULL DEFAULT 'file' CHECK (title_source IN ('user', 'file', 'document'));

-- At most one open (queued or running) ingest job per document.
CREATE UNIQUE INDEX ingest_jobs_one_open ON catalog.ingest_jobs (document_id) WHERE state IN ('queued', 'running');

CREATE INDEX documents_updated ON catalog.documents (updated_at DESC, id DESC);
CREATE INDEX documents_title ON catalog.documents (lower(title), id);
CREATE INDEX documents_size ON catalog.documents (size_bytes, id);
