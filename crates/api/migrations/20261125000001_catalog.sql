-- The catalog schema, owned by aidoc-api.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE catalog.users (
    id uuid PRIMARY KEY,
    username text NOT NULL UNIQUE,
    display_name text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    disabled boolean NOT NULL DEFAULT false,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);

CREATE TABLE catalog.categories (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    description text NOT NULL DEFAULT '',
    parent_id uuid REFERENCES catalog.categories (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX categories_name_parent ON catalog.categories (lower(name), coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid));

CREATE TABLE catalog.documents (
    id uuid PRIMARY KEY,
    title text NOT NULL,
    file_name text NOT NULL,
    media_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    sha256 text NOT NULL UNIQUE,
    blob_key text NOT NULL,
    category_id uuid REFERENCES catalog.categories (id) ON DELETE SET NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'parsing', 'indexing', 'ready', 'failed')),
    failure_code text NOT NULL DEFAULT '',
    failure_message text NOT NULL DEFAULT '',
    page_count integer NOT NULL DEFAULT 0,
    chunk_count integer NOT NULL DEFAULT 0,
    language text NOT NULL DEFAULT '',
    author text NOT NULL DEFAULT '',
    version integer NOT NULL DEFAULT 1,
    created_by uuid REFERENCES catalog.users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_created ON catalog.documents (created_at DESC, id DESC);
CREATE INDEX documents_category ON catalog.documents (category_id);
CREATE INDEX documents_status ON catalog.documents (status);
CREATE INDEX documents_title_trgm ON catalog.documents USING gin (lower(title) gin_trgm_ops);

CREATE TABLE catalog.document_versions (
    document_id uuid NOT NULL REFERENCES catalog.documents (id) ON DELETE CASCADE,
    version integer NOT NULL,
    sha256 text NOT NULL,
    blob_key text NOT NULL,
    size_bytes bigint NOT NULL,
    file_name text NOT NULL,
    created_by uuid REFERENCES catalog.users (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version)
);
CREATE INDEX document_versions_blob ON catalog.document_versions (blob_key);

CREATE TABLE catalog.document_tags (
    document_id uuid NOT NULL REFERENCES catalog.documents (id) ON DELETE CASCADE,
    tag text NOT NULL CHECK (length(tag) BETWEEN 1 AND 64),
    PRIMARY KEY (document_id, tag)
);
CREATE INDEX document_tags_tag ON catalog.document_tags (tag);

CREATE TABLE catalog.ingest_jobs (
    id uuid PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES catalog.documents (id) ON DELETE CASCADE,
    state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 5,
    worker_id text NOT NULL DEFAULT '',
    lease_expires_at timestamptz,
    run_after timestamptz NOT NULL DEFAULT now(),
    last_error_code text NOT NULL DEFAULT '',
    last_error text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- The claim query: runnable queued jobs, or running jobs whose lease expired.
CREATE INDEX ingest_jobs_runnable ON catalog.ingest_jobs (run_after) WHERE state = 'queued';
CREATE INDEX ingest_jobs_leases ON catalog.ingest_jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX ingest_jobs_document ON catalog.ingest_jobs (document_id);

CREATE TABLE catalog.api_keys (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES catalog.users (id) ON DELETE CASCADE,
    name text NOT NULL,
    prefix text NOT NULL,
    secret_hash text NOT NULL UNIQUE,
    scopes text[] NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_keys_user ON catalog.api_keys (user_id);

CREATE TABLE catalog.refresh_tokens (
    id uuid PRIMARY KEY,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL REFERENCES catalog.users (id) ON DELETE CASCADE,
    token_hash text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    rotated_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family ON catalog.refresh_tokens (family_id);

CREATE TABLE catalog.audit_events (
    id uuid PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    user_id uuid,
    api_key_id uuid,
    ip text NOT NULL DEFAULT '',
    user_agent text NOT NULL DEFAULT '',
    action text NOT NULL,
    target_type text NOT NULL DEFAULT '',
    target_id text NOT NULL DEFAULT '',
    success boolean NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_events_at ON catalog.audit_events (at DESC, id DESC);
CREATE INDEX audit_events_user ON catalog.audit_events (user_id, at DESC);
