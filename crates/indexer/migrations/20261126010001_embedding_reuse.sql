-- The SHA-256 of the text each vector was computed from (the heading path and the chunk text, as embedded).
-- Re-indexing a document, indexing a new version or a copy of it reuses the stored vectors of unchanged
-- chunks (same digest, same model) instead of running the model again. Chunks written before this column
-- existed have no digest and are simply not reused.
ALTER TABLE search.chunks ADD COLUMN embedded_sha256 bytea;
CREATE INDEX chunks_embedded_sha256 ON search.chunks (embedded_sha256, model_id) WHERE embedded_sha256 IS NOT NULL;
