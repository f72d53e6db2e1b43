//! Sign-in and sessions. A session is a family of refresh tokens: each
//! refresh rotates the token (the old one is marked rotated, a new one is
//! issued in the same family); presenting a rotated token again means it was
//! copied, so the whole family is revoked. The family id is the session id
//! that access tokens carry (`sid`).

use super::{acting_as, auth_event, passwords, tokens, users};
use crate::config::LoginConfig;
use crate::db::{Failure, PgPool, conn, db_status};
use crate::models::UserRow;
use crate::schema::{refresh_tokens, users as users_t};
use crate::util::{parse_id, ts};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use std::time::Duration;
use tonic::Status;
use uuid::Uuid;

/// Metadata naming the session a refusal revoked.
pub const SESSION_METADATA_KEY: &str = "x-aidoc-session-id";

/// How long an account stays locked after `failures` consecutive failed
/// sign-ins: nothing below the threshold, then `base` doubling up to `max`.
pub fn lock_for(policy: &LoginConfig, failures: u32) -> Option<Duration> {
    let over = failures.checked_sub(policy.lockout_threshold)?;
    let factor = 1u32.checked_shl(over.min(20)).unwrap_or(u32::MAX);
    Some(policy.lockout_base.saturating_mul(factor).min(policy.lockout_max))
}

fn ttl(policy: &LoginConfig, requested: u32) -> chrono::Duration {
    let d = if requested == 0 { policy.refresh_ttl } else { Duration::from_secs(u64::from(requested)) };
    chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::days(30))
}

fn invalid_credentials() -> Status {
    ErrorCode::InvalidCredentials.status("the user name or password is wrong")
}

pub async fn authenticate(
    pool: &PgPool,
    policy: &LoginConfig,
    req: pb::AuthenticateRequest,
) -> Result<pb::User, Status> {
    let actor = req.actor;
    let username = users::clean_username(&req.username).ok();
    if req.password.len() > passwords::MAX_BYTES {
        return Err(invalid_credentials());
    }
    let mut c = conn(pool).await?;
    let row: Option<UserRow> = match &username {
        Some(name) => users_t::table
            .filter(users_t::username.eq(name))
            .select(UserRow::as_select())
            .first(&mut c)
            .await
            .optional()
            .map_err(db_status)?,
        None => None,
    };
    let Some(user) = row else {
        // Same work as for a real account, so timing tells nothing.
        passwords::verify(req.password, None).await;
        // As typed, but storable: PostgreSQL text and JSON hold no NUL.
        let shown: String = req.username.chars().take(64).map(|c| if c == '\0' { '\u{FFFD}' } else { c }).collect();
        auth_event(&mut c, &actor, "login_failed", None, false, json!({ "username": shown, "reason": "unknown_user" }))
            .await
            .map_err(db_status)?;
        return Err(invalid_credentials());
    };
    let as_user = acting_as(&actor, user.id);
    let now = Utc::now();
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        let wait = (until - now).num_seconds().max(1) as u64;
        auth_event(
            &mut c,
            &as_user,
            "login_locked",
            Some(("user", user.id.to_string())),
            false,
            json!({ "username": user.username, "locked_for_seconds": wait }),
        )
        .await
        .map_err(db_status)?;
        return Err(ErrorCode::RateLimited
            .status_retry_after(format!("too many failed sign-ins for this account; try again in {wait} s"), wait));
    }
    if !passwords::verify(req.password, Some(user.password_hash.clone())).await {
        let failures = user.failed_logins.saturating_add(1);
        let lock =
            lock_for(policy, failures.max(0) as u32).and_then(|d| chrono::Duration::from_std(d).ok()).map(|d| now + d);
        diesel::update(users_t::table.find(user.id))
            .set((users_t::failed_logins.eq(failures), users_t::locked_until.eq(lock)))
            .execute(&mut c)
            .await
            .map_err(db_status)?;
        auth_event(
            &mut c,
            &as_user,
            "login_failed",
            Some(("user", user.id.to_string())),
            false,
            json!({ "username": user.username, "reason": "wrong_password", "consecutive_failures": failures, "locked_until": lock.map(ts) }),
        )
        .await
        .map_err(db_status)?;
        return Err(invalid_credentials());
    }
    if user.disabled {
        auth_event(
            &mut c,
            &as_user,
            "login_failed",
            Some(("user", user.id.to_string())),
            false,
            json!({ "username": user.username, "reason": "disabled" }),
        )
        .await
        .map_err(db_status)?;
        return Err(ErrorCode::Unauthenticated.status("this account is disabled"));
    }
    let user: UserRow = diesel::update(users_t::table.find(user.id))
        .set((
            users_t::failed_logins.eq(0),
            users_t::locked_until.eq(None::<DateTime<Utc>>),
            users_t::last_login_at.eq(now),
            users_t::last_seen_at.eq(now),
        ))
        .returning(UserRow::as_returning())
        .get_result(&mut c)
        .await
        .map_err(db_status)?;
    auth_event(
        &mut c,
        &as_user,
        "login",
        Some(("user", user.id.to_string())),
        true,
        json!({ "username": user.username }),
    )
    .await
    .map_err(db_status)?;
    Ok(user.into())
}

async fn issue(
    c: &mut AsyncPgConnection,
    user: Uuid,
    family: Uuid,
    life: chrono::Duration,
) -> QueryResult<(String, DateTime<Utc>)> {
    let token = tokens::random_token();
    let expires = Utc::now() + life;
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::id.eq(Uuid::now_v7()),
            refresh_tokens::family_id.eq(family),
            refresh_tokens::user_id.eq(user),
            refresh_tokens::token_hash.eq(tokens::sha256_hex(&token)),
            refresh_tokens::expires_at.eq(expires),
        ))
        .execute(c)
        .await?;
    Ok((token, expires))
}

pub async fn create(
    pool: &PgPool,
    policy: &LoginConfig,
    req: pb::CreateSessionRequest,
) -> Result<pb::CreateSessionResponse, Status> {
    let user_id = parse_id(&req.user_id, "user_id")?;
    let mut c = conn(pool).await?;
    let user = users::load(&mut c, user_id).await?;
    if user.disabled {
        return Err(ErrorCode::Unauthenticated.status("this account is disabled"));
    }
    let family = Uuid::now_v7();
    let (token, expires) = issue(&mut c, user_id, family, ttl(policy, req.ttl_seconds)).await.map_err(db_status)?;
    Ok(pb::CreateSessionResponse { refresh_token: token, expires_at: ts(expires), session_id: family.to_string() })
}

/// A refresh token's family, user, rotation, revocation and expiry.
type TokenState = (Uuid, Uuid, Option<DateTime<Utc>>, Option<DateTime<Utc>>, DateTime<Utc>);

/// What a refresh attempt found, decided inside the transaction and
/// answered after it commits (a detected reuse must stay revoked).
enum Refreshed {
    Rotated { user: UserRow, token: String, expires: DateTime<Utc>, family: Uuid },
    Reused(Uuid),
    Ended(&'static str),
}

pub async fn refresh(
    pool: &PgPool,
    policy: &LoginConfig,
    req: pb::RefreshSessionRequest,
) -> Result<pb::RefreshSessionResponse, Status> {
    if req.refresh_token.is_empty() || req.refresh_token.len() > 256 {
        return Err(ErrorCode::Unauthenticated.status("refresh_token is missing or malformed"));
    }
    let hash = tokens::sha256_hex(&req.refresh_token);
    let life = ttl(policy, req.ttl_seconds);
    let actor = req.actor;
    let mut c = conn(pool).await?;
    let outcome = c
        .transaction::<_, Failure, _>(async |c| {
            let now = Utc::now();
            let current: Option<TokenState> = refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(&hash))
                .select((
                    refresh_tokens::family_id,
                    refresh_tokens::user_id,
                    refresh_tokens::rotated_at,
                    refresh_tokens::revoked_at,
                    refresh_tokens::expires_at,
                ))
                .for_update()
                .first(c)
                .await
                .optional()?;
            let Some((family, user_id, rotated, revoked, expires)) = current else {
                return Ok(Refreshed::Ended("the refresh token is not valid"));
            };
            let as_user = acting_as(&actor, user_id);
            if revoked.is_some() {
                return Ok(Refreshed::Ended("the session was revoked; sign in again"));
            }
            if rotated.is_some() {
                let n = revoke_family(c, family).await?;
                auth_event(
                    c,
                    &as_user,
                    "refresh_reuse",
                    Some(("session", family.to_string())),
                    false,
                    json!({ "tokens_revoked": n }),
                )
                .await?;
                return Ok(Refreshed::Reused(family));
            }
            if expires <= now {
                return Ok(Refreshed::Ended("the session has expired; sign in again"));
            }
            let user = users::load(c, user_id).await?;
            if user.disabled {
                revoke_family(c, family).await?;
                return Ok(Refreshed::Ended("this account is disabled"));
            }
            diesel::update(refresh_tokens::table.filter(refresh_tokens::token_hash.eq(&hash)))
                .set(refresh_tokens::rotated_at.eq(now))
                .execute(c)
                .await?;
            let (token, expires) = issue(c, user_id, family, life).await?;
            users::touch_seen(c, user_id).await?;
            auth_event(c, &as_user, "refresh", Some(("session", family.to_string())), true, json!({})).await?;
            Ok(Refreshed::Rotated { user, token, expires, family })
        })
        .await?;
    match outcome {
        Refreshed::Rotated { user, token, expires, family } => Ok(pb::RefreshSessionResponse {
            user: Some(user.into()),
            refresh_token: token,
            expires_at: ts(expires),
            session_id: family.to_string(),
        }),
        Refreshed::Reused(family) => {
            let mut status = ErrorCode::Unauthenticated
                .status("this refresh token was already used: the session has been revoked; sign in again");
            // The gateway drops the session from its cache at once.
            if let Ok(v) = family.to_string().parse() {
                status.metadata_mut().insert(SESSION_METADATA_KEY, v);
            }
            Err(status)
        }
        Refreshed::Ended(why) => Err(ErrorCode::Unauthenticated.status(why)),
    }
}

async fn revoke_family(c: &mut AsyncPgConnection, family: Uuid) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::family_id.eq(family)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(Utc::now()))
        .execute(c)
        .await
}

/// Ends every session of a user; returns how many tokens it revoked.
pub(crate) async fn revoke_all_of(c: &mut AsyncPgConnection, user: Uuid) -> QueryResult<usize> {
    diesel::update(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user)))
        .filter(refresh_tokens::revoked_at.is_null())
        .set(refresh_tokens::revoked_at.eq(Utc::now()))
        .execute(c)
        .await
}

pub async fn revoke(pool: &PgPool, req: pb::RevokeSessionRequest) -> Result<(), Status> {
    let mut c = conn(pool).await?;
    let found: Option<(Uuid, Uuid)> = if !req.session_id.is_empty() {
        let family = parse_id(&req.session_id, "session_id")?;
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family))
            .select((refresh_tokens::family_id, refresh_tokens::user_id))
            .first(&mut c)
            .await
            .optional()
            .map_err(db_status)?
    } else if !req.refresh_token.is_empty() {
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(tokens::sha256_hex(&req.refresh_token)))
            .select((refresh_tokens::family_id, refresh_tokens::user_id))
            .first(&mut c)
            .await
            .optional()
            .map_err(db_status)?
    } else {
        return Err(ErrorCode::InvalidArgument.status("refresh_token or session_id is required"));
    };
    let Some((family, user)) = found else {
        return Err(ErrorCode::NotFound.status("no such session"));
    };
    let actor = req.actor;
    c.transaction::<_, Failure, _>(async |c| {
        let n = revoke_family(c, family).await?;
        let as_user = acting_as(&actor, user);
        auth_event(c, &as_user, "logout", Some(("session", family.to_string())), true, json!({ "tokens_revoked": n }))
            .await?;
        Ok(())
    })
    .await?;
    Ok(())
}

pub async fn verify(pool: &PgPool, session_id: &str) -> Result<pb::User, Status> {
    let family =
        Uuid::parse_str(session_id).map_err(|_| ErrorCode::Unauthenticated.status("the session is not valid"))?;
    let mut c = conn(pool).await?;
    let user: Option<UserRow> = refresh_tokens::table
        .inner_join(users_t::table)
        .filter(refresh_tokens::family_id.eq(family))
        .filter(refresh_tokens::revoked_at.is_null())
        .filter(refresh_tokens::rotated_at.is_null())
        .filter(refresh_tokens::expires_at.gt(Utc::now()))
        .select(UserRow::as_select())
        .first(&mut c)
        .await
        .optional()
        .map_err(db_status)?;
    match user {
        Some(u) if !u.disabled => {
            users::touch_seen(&mut c, u.id).await.map_err(db_status)?;
            Ok(u.into())
        }
        Some(_) => Err(ErrorCode::Unauthenticated.status("this account is disabled")),
        None => Err(ErrorCode::Unauthenticated.status("the session has ended; sign in again")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_starts_at_the_threshold_and_doubles_to_the_cap() {
        let p = LoginConfig::default();
        assert_eq!(lock_for(&p, 9), None);
        assert_eq!(lock_for(&p, 10), Some(Duration::from_secs(60)));
        assert_eq!(lock_for(&p, 11), Some(Duration::from_secs(120)));
        assert_eq!(lock_for(&p, 13), Some(Duration::from_secs(480)));
        assert_eq!(lock_for(&p, 40), Some(Duration::from_secs(3600)));
        assert_eq!(lock_for(&p, u32::MAX), Some(Duration::from_secs(3600)));
    }
}
