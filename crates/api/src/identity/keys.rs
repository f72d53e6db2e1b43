//! API keys: named, scoped (`read`, `write`), optionally expiring,
//! revocable; the secret is shown once and only its SHA-256 is kept.

use super::{acting_as, auth_event, tokens, users};
use crate::audit::{self, Entry};
use crate::db::{Failure, PgPool, conn, db_status};
use crate::models::{ApiKeyRow, UserRow, scope_name};
use crate::schema::{api_keys, users as users_t};
use crate::util::{parse_id, parse_opt_id, ts};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use tonic::Status;
use uuid::Uuid;

pub const MAX_NAME_CHARS: usize = 100;
/// Active keys one user may hold.
pub const MAX_KEYS_PER_USER: i64 = 100;

fn clean_name(raw: &str) -> Result<String, Status> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(ErrorCode::InvalidArgument.status("name is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ErrorCode::InvalidArgument.status(format!("name: at most {MAX_NAME_CHARS} printable characters")));
    }
    Ok(name)
}

/// Scopes, deduplicated in a fixed order; at least one.
fn clean_scopes(raw: &[i32]) -> Result<Vec<String>, Status> {
    let mut out: Vec<String> = Vec::new();
    for s in raw {
        let name = pb::Scope::try_from(*s)
            .ok()
            .and_then(scope_name)
            .ok_or_else(|| ErrorCode::InvalidArgument.status("scopes must be read and/or write"))?;
        if !out.iter().any(|o| o == name) {
            out.push(name.to_owned());
        }
    }
    if out.is_empty() {
        return Err(ErrorCode::InvalidArgument.status("at least one scope (read, write) is required"));
    }
    out.sort();
    Ok(out)
}

pub async fn create(pool: &PgPool, req: pb::CreateApiKeyRequest) -> Result<pb::CreateApiKeyResponse, Status> {
    let owner = parse_id(&req.user_id, "user_id")?;
    let name = clean_name(&req.name)?;
    let scopes = clean_scopes(&req.scopes)?;
    let expires_at = if req.expires_at.is_empty() {
        None
    } else {
        let t = DateTime::parse_from_rfc3339(&req.expires_at)
            .map_err(|_| ErrorCode::InvalidArgument.status("expires_at must be an RFC 3339 time"))?
            .with_timezone(&Utc);
        if t <= Utc::now() {
            return Err(ErrorCode::InvalidArgument.status("expires_at must be in the future"));
        }
        Some(t)
    };
    let (secret, prefix) = tokens::new_api_key();
    let actor = req.actor;
    let mut c = conn(pool).await?;
    let row = c
        .transaction::<_, Failure, _>(async |c| {
            let user = users::load(c, owner).await?;
            if user.disabled {
                return Err(ErrorCode::Conflict.status("the user is disabled").into());
            }
            if user.role == "viewer" && scopes.iter().any(|s| s == "write") {
                return Err(ErrorCode::PermissionDenied.status("a viewer's key can only have the read scope").into());
            }
            let active: i64 = api_keys::table
                .filter(api_keys::user_id.eq(owner))
                .filter(api_keys::revoked_at.is_null())
                .count()
                .get_result(c)
                .await?;
            if active >= MAX_KEYS_PER_USER {
                return Err(ErrorCode::Conflict
                    .status(format!("at most {MAX_KEYS_PER_USER} active keys per user: revoke one first"))
                    .into());
            }
            let id = Uuid::now_v7();
            let row: ApiKeyRow = diesel::insert_into(api_keys::table)
                .values((
                    api_keys::id.eq(id),
                    api_keys::user_id.eq(owner),
                    api_keys::name.eq(&name),
                    api_keys::prefix.eq(&prefix),
                    api_keys::secret_hash.eq(tokens::sha256_hex(&secret)),
                    api_keys::scopes.eq(&scopes),
                    api_keys::expires_at.eq(expires_at),
                ))
                .returning(ApiKeyRow::as_returning())
                .get_result(c)
                .await?;
            audit::record(
                c,
                &actor,
                Entry {
                    action: "key.create",
                    target_type: "api_key",
                    target_id: id.to_string(),
                    success: true,
                    details: json!({ "name": name, "prefix": prefix, "scopes": scopes, "owner": owner.to_string(), "expires_at": expires_at.map(ts) }),
                },
            )
            .await?;
            Ok(row)
        })
        .await?;
    Ok(pb::CreateApiKeyResponse { key: Some(row.into()), secret })
}

pub async fn list(pool: &PgPool, user_id: &str) -> Result<pb::ListApiKeysResponse, Status> {
    let owner = parse_opt_id(user_id, "user_id")?;
    let mut q = api_keys::table
        .select(ApiKeyRow::as_select())
        .order((api_keys::created_at.desc(), api_keys::id.desc()))
        .into_boxed();
    if let Some(o) = owner {
        q = q.filter(api_keys::user_id.eq(o));
    }
    let mut c = conn(pool).await?;
    let rows: Vec<ApiKeyRow> = q.limit(1000).load(&mut c).await.map_err(db_status)?;
    Ok(pb::ListApiKeysResponse { keys: rows.into_iter().map(Into::into).collect() })
}

pub async fn revoke(pool: &PgPool, req: pb::RevokeApiKeyRequest) -> Result<(), Status> {
    let id = parse_id(&req.id, "key id")?;
    let owner = parse_opt_id(&req.owner_id, "owner_id")?;
    let actor = req.actor;
    let mut c = conn(pool).await?;
    c.transaction::<_, Failure, _>(async |c| {
        let key: Option<(Uuid, Option<DateTime<Utc>>, String)> = api_keys::table
            .find(id)
            .select((api_keys::user_id, api_keys::revoked_at, api_keys::name))
            .for_update()
            .first(c)
            .await
            .optional()?;
        let Some((key_owner, revoked, name)) = key.filter(|(o, _, _)| owner.is_none_or(|want| want == *o)) else {
            return Err(ErrorCode::NotFound.status(format!("API key {id} does not exist")).into());
        };
        if revoked.is_some() {
            return Ok(());
        }
        diesel::update(api_keys::table.find(id)).set(api_keys::revoked_at.eq(Utc::now())).execute(c).await?;
        audit::record(
            c,
            &actor,
            Entry {
                action: "key.revoke",
                target_type: "api_key",
                target_id: id.to_string(),
                success: true,
                details: json!({ "name": name, "owner": key_owner.to_string() }),
            },
        )
        .await?;
        Ok(())
    })
    .await?;
    Ok(())
}

pub async fn verify(
    pool: &PgPool,
    secret: &str,
    actor: &Option<pb::Actor>,
) -> Result<pb::VerifyApiKeyResponse, Status> {
    let mut c = conn(pool).await?;
    let reject = async |c: &mut diesel_async::AsyncPgConnection, key: Option<(Uuid, Uuid)>, reason: &str| -> Status {
        let who = match key {
            Some((_, user)) => acting_as(actor, user),
            None => actor.clone(),
        };
        let mut who = who.unwrap_or_default();
        if let Some((id, _)) = key {
            who.api_key_id = id.to_string();
        }
        let target = key.map(|(id, _)| ("api_key", id.to_string()));
        let details = json!({ "prefix": tokens::shown_prefix(secret), "reason": reason });
        if let Err(e) = auth_event(c, &Some(who), "api_key_rejected", target, false, details).await {
            return db_status(e);
        }
        ErrorCode::Unauthenticated.status(match reason {
            "expired" => "the API key has expired",
            "revoked" => "the API key was revoked",
            "user_disabled" => "the API key's user is disabled",
            _ => "the API key is not valid",
        })
    };
    if !tokens::looks_like_api_key(secret) {
        return Err(reject(&mut c, None, "malformed").await);
    }
    let found: Option<(ApiKeyRow, UserRow)> = api_keys::table
        .inner_join(users_t::table)
        .filter(api_keys::secret_hash.eq(tokens::sha256_hex(secret)))
        .select((ApiKeyRow::as_select(), UserRow::as_select()))
        .first(&mut c)
        .await
        .optional()
        .map_err(db_status)?;
    let Some((key, user)) = found else {
        return Err(reject(&mut c, None, "unknown").await);
    };
    let ids = Some((key.id, user.id));
    let now = Utc::now();
    if key.revoked_at.is_some() {
        return Err(reject(&mut c, ids, "revoked").await);
    }
    if key.expires_at.is_some_and(|t| t <= now) {
        return Err(reject(&mut c, ids, "expired").await);
    }
    if user.disabled {
        return Err(reject(&mut c, ids, "user_disabled").await);
    }
    // last_used_at: at most one write a minute per key.
    let minute_ago = now - chrono::Duration::minutes(1);
    let key = match diesel::update(api_keys::table.find(key.id))
        .filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.lt(minute_ago)))
        .set(api_keys::last_used_at.eq(now))
        .returning(ApiKeyRow::as_returning())
        .get_result(&mut c)
        .await
        .optional()
        .map_err(db_status)?
    {
        Some(updated) => {
            users::touch_seen(&mut c, user.id).await.map_err(db_status)?;
            updated
        }
        None => key,
    };
    Ok(pb::VerifyApiKeyResponse { key: Some(key.into()), user: Some(user.into()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_checked_and_deduplicated() {
        let w = pb::Scope::Write as i32;
        let r = pb::Scope::Read as i32;
        assert_eq!(clean_scopes(&[w, r, w]).unwrap(), vec!["read".to_owned(), "write".to_owned()]);
        assert!(clean_scopes(&[]).is_err());
        assert!(clean_scopes(&[0]).is_err());
        assert!(clean_scopes(&[42]).is_err());
    }

    #[test]
    fn names_are_required_and_bounded() {
        assert_eq!(clean_name("  ci   uploader ").unwrap(), "ci uploader");
        assert!(clean_name("   ").is_err());
        assert!(clean_name(&"k".repeat(101)).is_err());
    }
}
