-- Chunks of parsed documents with their keyword and vector indexes.
-- Chunks belong to catalog documents: deleting a document deletes its
-- chunks in the same transaction.
CREATE TABLE search.chunks (
    id uuid PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES catalog.documents (id) ON DELETE CASCADE,
    chunk_index integer NOT NULL CHECK (chunk_index >= 0),
    text text NOT NULL,
    heading_path text[] NOT NULL DEFAULT '{}',
    page_start integer NOT NULL DEFAULT 0,
    page_end integer NOT NULL DEFAULT 0,
    block_kinds text[] NOT NULL DEFAULT '{}',
    token_count integer NOT NULL DEFAULT 0,
    language text NOT NULL DEFAULT '',
    -- Lexemes tokenised by the indexer (Chinese segmented, identifiers kept
    -- whole and split), not by PostgreSQL's parser.
    tsv tsvector NOT NULL,
    -- The vector and the model that produced it; a model change re-embeds.
    embedding vector NOT NULL,
    dims integer NOT NULL,
    model_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, chunk_index)
);
CREATE INDEX chunks_tsv ON search.chunks USING gin (tsv);
-- One HNSW index per vector length in use; the indexer creates the index
-- for its model's length at start when it is not this default.
CREATE INDEX chunks_embedding_384 ON search.chunks
    USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dims = 384;
CREATE INDEX chunks_model ON search.chunks (model_id);

-- Per-document index state: which model and which parse produced the chunks.
CREATE TABLE search.indexed_documents (
    document_id uuid PRIMARY KEY REFERENCES catalog.documents (id) ON DELETE CASCADE,
    chunk_count integer NOT NULL,
    page_count integer NOT NULL,
    model_id text NOT NULL,
    outline jsonb NOT NULL DEFAULT '[]'::jsonb,
    indexed_at timestamptz NOT NULL DEFAULT now()
);
