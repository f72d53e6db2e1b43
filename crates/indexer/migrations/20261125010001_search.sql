-- The search schema, owned by aidoc-indexer.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Which embedding model produced the vectors; a change forces re-embedding.
CREATE TABLE search.embedding_models (
    id text PRIMARY KEY,
    dimensions integer NOT NULL,
    revision text NOT NULL,
    active boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
