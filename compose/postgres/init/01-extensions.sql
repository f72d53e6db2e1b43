-- Runs once, when the data volume is initialised. Migrations
-- (`aidoc-api migrate`, `aidoc-indexer migrate`) own everything else.
CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
