-- Monitor data. Gateways add their request figures here (summed over every
-- gateway instance); the api samples the ingest queue. Rows are per minute
-- (kept 8 days) or per day (kept 90 days).

-- Requests of one route group in one minute. latency_buckets counts requests
-- per fixed latency bucket (aidoc_common::monitor::LATENCY_BOUNDS_MS).
CREATE TABLE catalog.monitor_traffic (
    minute timestamptz NOT NULL,
    route_group text NOT NULL CHECK (route_group IN ('auth', 'documents', 'search', 'mcp', 'admin', 'ui')),
    requests bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
    errors bigint NOT NULL DEFAULT 0 CHECK (errors >= 0),
    latency_buckets bigint[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (minute, route_group)
);

-- The ingest queue sampled per minute (the highest sample wins) and the
-- pages and chunks of the jobs completed in that minute.
CREATE TABLE catalog.monitor_ingest (
    minute timestamptz PRIMARY KEY,
    queued bigint NOT NULL DEFAULT 0,
    oldest_queued_age_seconds double precision NOT NULL DEFAULT 0,
    pages_parsed bigint NOT NULL DEFAULT 0,
    chunks_embedded bigint NOT NULL DEFAULT 0
);

-- Searches per day (REST search requests and MCP search_docs calls).
CREATE TABLE catalog.monitor_usage (
    day date PRIMARY KEY,
    searches bigint NOT NULL DEFAULT 0
);

-- The users that made an authenticated request on a day (no foreign key:
-- the figure stays when a user is deleted).
CREATE TABLE catalog.monitor_active_users (
    day date NOT NULL,
    user_id uuid NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (day, user_id)
);
CREATE INDEX monitor_active_users_seen ON catalog.monitor_active_users (last_seen_at);
CREATE INDEX document_versions_created ON catalog.document_versions (created_at);
