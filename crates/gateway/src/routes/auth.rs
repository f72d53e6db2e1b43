//! `/api/v1/auth`: sign in, refresh, sign out, and the caller's own account.

use super::{anonymous_actor, identity};
use crate::auth::jwt::now_secs;
use crate::auth::{Principal, Reader, SignedIn, Via};
use crate::dto;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::metrics::{AUTH_EVENTS_TOTAL, RATE_LIMITED_TOTAL};
use crate::ratelimit::retry_after_secs;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/auth/login", web::post().to(login))
        .route("/api/v1/auth/refresh", web::post().to(refresh))
        .route("/api/v1/auth/logout", web::post().to(logout))
        .service(web::resource("/api/v1/auth/me").route(web::get().to(me)).route(web::patch().to(update_me)));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

/// The cookie that carries the refresh token for browsers: script cannot
/// read it, it travels only to the auth routes and only from this site.
pub const REFRESH_COOKIE: &str = "aidoc_refresh";
const COOKIE_PATH: &str = "/api/v1/auth";

fn refresh_cookie(token: &str, max_age: u64) -> String {
    format!("{REFRESH_COOKIE}={token}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict")
}

/// The refresh token from the cookie, when the request carries one.
fn cookie_token(req: &HttpRequest) -> Option<String> {
    req.headers().get_all(header::COOKIE).filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == REFRESH_COOKIE && !value.is_empty()).then(|| value.to_owned())
    })
}

/// Answers with tokens (and the refresh cookie); never cached by anything in between.
fn tokens(
    state: &AppState,
    user: api::User,
    sid: &str,
    refresh: String,
    refresh_expires: String,
) -> ApiResult<HttpResponse> {
    let role = crate::auth::Role::from_proto(user.role)
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the user has no role"))?;
    let access = state
        .auth
        .jwt
        .issue(&user.id, sid, role.as_str(), now_secs())
        .map_err(|e| ApiError::new(ErrorCode::Internal, format!("signing the access token failed: {e}")))?;
    let cookie = refresh_cookie(&refresh, state.auth.refresh_ttl.as_secs());
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::SET_COOKIE, cookie))
        .json(dto::Tokens {
            access_token: access,
            token_type: "Bearer".into(),
            expires_in: state.auth.jwt.ttl().as_secs(),
            refresh_token: refresh,
            refresh_expires_at: refresh_expires,
            user: user.into(),
        }))
}

fn refresh_ttl_seconds(state: &AppState) -> u32 {
    u32::try_from(state.auth.refresh_ttl.as_secs()).unwrap_or(u32::MAX)
}

/// Signs in with a user name and password: an access token (short-lived)
/// and a refresh token. Rate limited per address and account name.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(()),
    request_body = LoginBody,
    responses(
        (status = 200, description = "Signed in.", body = dto::Tokens),
        (status = 401, description = "Wrong user name or password, or the account is disabled (`invalid_credentials`).", body = ErrorBody),
        (status = 429, description = "Too many attempts (`rate_limited`); `Retry-After` says when to try again.", body = ErrorBody),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let actor = anonymous_actor(&req);
    // Throttle guesses per address and account name before any work.
    let bucket = format!("{}|{}", actor.ip, b.username.trim().to_lowercase());
    if let Err(wait) = state.auth.login_limit.check(&bucket) {
        metrics::counter!(RATE_LIMITED_TOTAL, "scope" => "login").increment(1);
        metrics::counter!(AUTH_EVENTS_TOTAL, "event" => "login_throttled").increment(1);
        let secs = retry_after_secs(wait);
        crate::auth::audit_refusal(
            &state,
            actor,
            "auth.login_throttled",
            "POST /api/v1/auth/login",
            json!({ "username": b.username.chars().take(64).collect::<String>(), "retry_after": secs }),
        );
        return Err(ApiError::new(ErrorCode::RateLimited, format!("too many sign-in attempts; retry in {secs} s"))
            .retry_after(secs));
    }
    let mut client = identity(&state);
    let user = client
        .authenticate(api::AuthenticateRequest {
            username: b.username,
            password: b.password,
            actor: Some(actor.clone()),
        })
        .await?
        .into_inner()
        .user
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the api returned no user"))?;
    state.auth.login_limit.reset(&bucket);
    let session = client
        .create_session(api::CreateSessionRequest {
            user_id: user.id.clone(),
            actor: Some(actor),
            ttl_seconds: refresh_ttl_seconds(&state),
        })
        .await?
        .into_inner();
    tokens(&state, user, &session.session_id, session.refresh_token, session.expires_at)
}

/// Exchanges a refresh token for new tokens. Each refresh token works once:
/// reusing one ends its session. The token comes from a JSON body
/// `{"refresh_token": …}` or, with no body, from the refresh cookie.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(()),
    request_body = RefreshBody,
    responses(
        (status = 200, description = "New tokens; the refresh token is also set as the `aidoc_refresh` cookie (HttpOnly, Secure, SameSite=Strict).", body = dto::Tokens),
        (status = 401, description = "The refresh token is unknown, used, expired or revoked, or none was sent (`unauthenticated`).", body = ErrorBody),
    ))]
pub async fn refresh(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let refresh_token = if body.iter().all(u8::is_ascii_whitespace) {
        cookie_token(&req).ok_or_else(|| {
            ApiError::new(ErrorCode::Unauthenticated, "send {\"refresh_token\": …} or the refresh cookie")
        })?
    } else {
        serde_json::from_slice::<RefreshBody>(&body)
            .map_err(|e| ApiError::new(ErrorCode::MalformedBody, format!("Json deserialize error: {e}")))?
            .refresh_token
    };
    let r = identity(&state)
        .refresh_session(api::RefreshSessionRequest {
            refresh_token,
            actor: Some(anonymous_actor(&req)),
            ttl_seconds: refresh_ttl_seconds(&state),
        })
        .await;
    let r = match r {
        Ok(r) => r.into_inner(),
        Err(status) => {
            // A reused token revoked its session: stop honouring it here now.
            if let Some(sid) = status.metadata().get("x-aidoc-session-id").and_then(|v| v.to_str().ok()) {
                state.auth.sessions.remove(&sid.to_owned());
            }
            return Err(status.into());
        }
    };
    let user = r.user.ok_or_else(|| ApiError::new(ErrorCode::Internal, "the api returned no user"))?;
    // The session's user may have changed (role): check again from now on.
    state.auth.sessions.remove(&r.session_id);
    tokens(&state, user, &r.session_id, r.refresh_token, r.expires_at)
}

/// Ends the caller's session: its refresh tokens stop working at once, and
/// its access tokens on this instance at once (elsewhere within the cache TTL).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer_token" = [])),
    responses((status = 204, description = "Signed out: the session's tokens no longer work.")))]
pub async fn logout(state: web::Data<AppState>, req: HttpRequest, SignedIn(who): SignedIn) -> ApiResult<HttpResponse> {
    let Via::Session { session_id } = &who.via else {
        return Err(ApiError::new(ErrorCode::PermissionDenied, "API keys have no session"));
    };
    identity(&state)
        .revoke_session(api::RevokeSessionRequest {
            refresh_token: String::new(),
            actor: Some(who.actor(&req)),
            session_id: session_id.clone(),
        })
        .await?;
    state.auth.sessions.remove(session_id);
    Ok(HttpResponse::NoContent().insert_header((header::SET_COOKIE, refresh_cookie("", 0))).finish())
}

fn describe(who: &Principal, user: api::User) -> dto::Me {
    let via = match &who.via {
        Via::Session { session_id } => dto::Credentials::Session { session_id: session_id.clone() },
        Via::ApiKey { key_id, read, write } => dto::Credentials::ApiKey {
            key_id: key_id.clone(),
            scopes: [(*read, "read"), (*write, "write")]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, s)| s.to_owned())
                .collect(),
        },
    };
    dto::Me { user: dto::User::from(user), via }
}

/// The caller's account and how they authenticated.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, description = "The caller.", body = dto::Me)))]
pub async fn me(state: web::Data<AppState>, Reader(who): Reader) -> ApiResult<HttpResponse> {
    let user = identity(&state).get_user(api::GetUserRequest { id: who.user_id.clone() }).await?.into_inner();
    Ok(HttpResponse::Ok().json(describe(&who, user)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeBody {
    pub display_name: Option<String>,
    pub password: Option<String>,
    /// Required with `password`.
    pub current_password: Option<String>,
}

/// Changes the caller's display name or password. A new password ends every
/// session of the user (this one too): sign in again.
#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "auth", security(("bearer_token" = [])),
    request_body = UpdateMeBody,
    responses(
        (status = 200, description = "The updated account.", body = dto::Me),
        (status = 401, description = "`current_password` is wrong (`invalid_credentials`).", body = ErrorBody),
    ))]
pub async fn update_me(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(who): SignedIn,
    body: web::Json<UpdateMeBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let mut client = identity(&state);
    if b.password.is_some() {
        let current = b.current_password.clone().ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidArgument, "current_password is required to change the password")
        })?;
        client
            .authenticate(api::AuthenticateRequest {
                username: who.username.clone(),
                password: current,
                actor: Some(who.actor(&req)),
            })
            .await?;
    }
    let changed_password = b.password.is_some();
    let user = client
        .update_user(api::UpdateUserRequest {
            actor: Some(who.actor(&req)),
            id: who.user_id.clone(),
            display_name: b.display_name,
            role: None,
            disabled: None,
            password: b.password,
        })
        .await?
        .into_inner();
    if changed_password {
        state.auth.forget_user(&who.user_id);
    }
    Ok(HttpResponse::Ok().json(describe(&who, user)))
}
