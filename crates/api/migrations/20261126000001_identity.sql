-- Users, sessions and API keys in use: when a user was last seen (sign-in,
-- refresh, key use), session revocation by user, and the audit log's filters.
ALTER TABLE catalog.users ADD COLUMN last_seen_at timestamptz;
ALTER TABLE catalog.users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE INDEX users_created ON catalog.users (created_at, id);

-- Revoking every session of a user (disable, password change).
CREATE INDEX refresh_tokens_user ON catalog.refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- `action LIKE 'auth.%'` filters of the audit listing.
CREATE INDEX audit_events_action ON catalog.audit_events (action text_pattern_ops, at DESC);
