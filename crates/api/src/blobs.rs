//! Who may remove a blob from object storage, and when.
//!
//! The api never touches object storage; the caller that removes an object
//! first claims the removal here. A claim is granted only while no document
//! or version refers to the blob, and while it lasts no document can be
//! created on that blob: both sides take the same advisory lock of the key in
//! their transaction. So an object is never removed under a document, even
//! when an upload of the same bytes races a delete (a removal finished just
//! before the upload registers its document is caught by the gateway, which
//! looks for the object once the document exists and takes the document back
//! when it is gone). A claim the caller never
//! finishes (it crashed) expires and is taken over by a sweeper.

use crate::db::Failure;
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use chrono::{DateTime, SecondsFormat, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Bool, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// How long the caller has to remove the object and finish the claim.
pub const CLAIM_SECONDS: i64 = 600;

/// Serialises everything that decides about `key` until the transaction ends.
pub async fn lock(c: &mut AsyncPgConnection, key: &str) -> Result<(), Failure> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7061)) IS NULL")
        .bind::<Text, _>(key)
        .execute(c)
        .await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    value: bool,
}

/// Whether a removal of `key` is claimed and not expired (call under [`lock`]).
pub async fn removal_pending(c: &mut AsyncPgConnection, key: &str) -> Result<bool, Failure> {
    let f: Flag = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM catalog.blob_deletions WHERE blob_key = $1 AND expires_at > now()) AS value",
    )
    .bind::<Text, _>(key)
    .get_result(c)
    .await?;
    Ok(f.value)
}

/// Refuses to register a document on a blob whose removal is under way (call
/// under [`lock`]): the object may already be gone, so the bytes must come again.
pub async fn ensure_not_removing(c: &mut AsyncPgConnection, key: &str) -> Result<(), Failure> {
    if removal_pending(c, key).await? {
        return Err(ErrorCode::Conflict
            .status("the stored file of this upload is being removed by a concurrent delete; upload it again")
            .into());
    }
    Ok(())
}

async fn referenced(c: &mut AsyncPgConnection, key: &str) -> Result<bool, Failure> {
    let f: Flag = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM catalog.documents WHERE blob_key = $1)
             OR EXISTS (SELECT 1 FROM catalog.document_versions WHERE blob_key = $1) AS value",
    )
    .bind::<Text, _>(key)
    .get_result(c)
    .await?;
    Ok(f.value)
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = SqlUuid)]
    token: Uuid,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
}

/// Claims the removal of `key` (call under [`lock`]): `None` when a document
/// refers to it. A new claim replaces an older one for the same key.
pub async fn claim(c: &mut AsyncPgConnection, key: &str) -> Result<Option<pb::BlobDeletion>, Failure> {
    if referenced(c, key).await? {
        diesel::sql_query("DELETE FROM catalog.blob_deletions WHERE blob_key = $1")
            .bind::<Text, _>(key)
            .execute(c)
            .await?;
        return Ok(None);
    }
    let row: Claimed = diesel::sql_query(
        "INSERT INTO catalog.blob_deletions (blob_key, token, expires_at)
         VALUES ($1, $2, now() + make_interval(secs => $3))
         ON CONFLICT (blob_key) DO UPDATE
             SET token = EXCLUDED.token, claimed_at = now(), expires_at = EXCLUDED.expires_at
         RETURNING token, expires_at",
    )
    .bind::<Text, _>(key)
    .bind::<SqlUuid, _>(Uuid::new_v4())
    .bind::<diesel::sql_types::Double, _>(CLAIM_SECONDS as f64)
    .get_result(c)
    .await?;
    Ok(Some(pb::BlobDeletion {
        blob_key: key.to_owned(),
        token: row.token.to_string(),
        expires_at: row.expires_at.to_rfc3339_opts(SecondsFormat::Micros, true),
    }))
}

/// Closes a claim; `false` when it was not (or no longer) the holder's.
pub async fn finish(c: &mut AsyncPgConnection, key: &str, token: Uuid) -> Result<bool, Failure> {
    let n = diesel::sql_query("DELETE FROM catalog.blob_deletions WHERE blob_key = $1 AND token = $2")
        .bind::<Text, _>(key)
        .bind::<SqlUuid, _>(token)
        .execute(c)
        .await?;
    Ok(n == 1)
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    blob_key: String,
}

/// Keys whose claims expired unfinished, oldest first.
pub async fn expired(c: &mut AsyncPgConnection, limit: i64) -> Result<Vec<String>, Failure> {
    let rows: Vec<Key> = diesel::sql_query(
        "SELECT blob_key FROM catalog.blob_deletions WHERE expires_at <= now() ORDER BY expires_at LIMIT $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(c)
    .await?;
    Ok(rows.into_iter().map(|k| k.blob_key).collect())
}

/// The keys among `keys` that no document or document version refers to.
pub async fn unreferenced(c: &mut AsyncPgConnection, keys: &[String]) -> Result<Vec<String>, Failure> {
    let rows: Vec<Key> = diesel::sql_query(
        "SELECT k AS blob_key FROM unnest($1::text[]) AS k
         WHERE NOT EXISTS (SELECT 1 FROM catalog.document_versions v WHERE v.blob_key = k)
           AND NOT EXISTS (SELECT 1 FROM catalog.documents d WHERE d.blob_key = k)
         ORDER BY k",
    )
    .bind::<diesel::sql_types::Array<Text>, _>(keys)
    .load(c)
    .await?;
    Ok(rows.into_iter().map(|k| k.blob_key).collect())
}
