-- The storage sweeper asks which stored blobs no document refers to; versions
-- already have an index on blob_key, documents get one.
CREATE INDEX IF NOT EXISTS documents_blob ON catalog.documents (blob_key);
