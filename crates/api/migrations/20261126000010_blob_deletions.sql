-- Removals of blobs from object storage, claimed by the caller that deletes
-- the object. While a claim lasts, no document can be created on its blob
-- (both sides serialise on an advisory lock of the key), so an object is never
-- removed under a document that refers to it. An expired claim was abandoned
-- (its caller crashed) and is taken over by a sweeper.
CREATE TABLE catalog.blob_deletions (
    blob_key   text PRIMARY KEY,
    token      uuid NOT NULL,
    claimed_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX blob_deletions_expiry ON catalog.blob_deletions (expires_at);
