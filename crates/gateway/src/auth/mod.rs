//! Who is calling and what they may do.
//!
//! The [`middleware`] authenticates every request under `/api/` except
//! sign-in and refresh: an access token (JWT, checked here) or an API key
//! (checked by the api, cached briefly), then applies the rate limits. It
//! leaves a [`Principal`] in the request; handlers state what they need by
//! taking a [`Reader`], [`Writer`], [`Admin`] or [`SignedIn`] argument.
//!
//! | role | read, search | upload, edit, delete | users, all keys, audit |
//! |---|---|---|---|
//! | viewer | yes | no | no |
//! | editor | yes | yes | no |
//! | admin | yes | yes | yes (signed in, not by key) |
//!
//! A key acts for its user within its scopes: `read`, `write` (which
//! includes read), never more than the user's current role.

pub mod cache;
pub mod jwt;
pub mod middleware;

use crate::config::GatewayConfig;
use crate::error::ApiError;
use crate::ratelimit::RateLimiter;
use crate::state::AppState;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use cache::TtlCache;
use futures::future::{Ready, ready};
use jwt::Jwt;
use serde::Serialize;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

impl Role {
    pub fn from_proto(r: i32) -> Option<Role> {
        match api::Role::try_from(r).ok()? {
            api::Role::Viewer => Some(Role::Viewer),
            api::Role::Editor => Some(Role::Editor),
            api::Role::Admin => Some(Role::Admin),
            api::Role::Unspecified => None,
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn to_proto(self) -> api::Role {
        match self {
            Role::Viewer => api::Role::Viewer,
            Role::Editor => api::Role::Editor,
            Role::Admin => api::Role::Admin,
        }
    }
}

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    /// An access token of this session.
    Session { session_id: String },
    /// An API key with these scopes (`read`, `write`).
    ApiKey { key_id: String, read: bool, write: bool },
}

/// The authenticated caller, with the user's current role.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user_id: String,
    pub username: String,
    pub role: Role,
    pub via: Via,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    Read,
    Write,
    Admin,
    /// Anything a signed-in user does to their own account (keys, password,
    /// sign-out): needs a session, not a key.
    Account,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
            Permission::Admin => "admin",
            Permission::Account => "account",
        }
    }
}

impl Principal {
    /// `Err(why)` when this caller may not do `p`.
    pub fn check(&self, p: Permission) -> Result<(), &'static str> {
        let session = matches!(self.via, Via::Session { .. });
        let (key_read, key_write) = match self.via {
            Via::ApiKey { read, write, .. } => (read || write, write),
            Via::Session { .. } => (true, true),
        };
        match p {
            Permission::Read if !key_read => Err("this API key has no read scope"),
            Permission::Read => Ok(()),
            Permission::Write if self.role < Role::Editor => Err("viewers can search and read, not change documents"),
            Permission::Write if !key_write => Err("this API key has only the read scope"),
            Permission::Write => Ok(()),
            Permission::Admin if self.role != Role::Admin => Err("only admins may do this"),
            Permission::Admin if !session => Err("administration needs a signed-in admin, not an API key"),
            Permission::Admin => Ok(()),
            Permission::Account if !session => Err("API keys cannot manage accounts or keys; sign in"),
            Permission::Account => Ok(()),
        }
    }

    /// Who is calling, for the api's audit log.
    pub fn actor(&self, req: &HttpRequest) -> api::Actor {
        let mut a = crate::routes::anonymous_actor(req);
        a.user_id = self.user_id.clone();
        if let Via::ApiKey { key_id, .. } = &self.via {
            a.api_key_id = key_id.clone();
        }
        a
    }
}

/// The user a session or key resolved to, as cached.
#[derive(Debug, Clone, PartialEq)]
pub struct CurrentUser {
    pub id: String,
    pub username: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn from_proto(u: &api::User) -> Option<CurrentUser> {
        Some(CurrentUser { id: u.id.clone(), username: u.username.clone(), role: Role::from_proto(u.role)? })
    }
}

#[derive(Debug, Clone)]
pub struct KeyInfo {
    pub key_id: String,
    pub read: bool,
    pub write: bool,
    /// Unix seconds; 0 = never.
    pub expires_at: i64,
    pub user: CurrentUser,
}

/// Everything authentication keeps between requests (one per process).
pub struct AuthState {
    pub jwt: Jwt,
    pub refresh_ttl: std::time::Duration,
    /// Session id → its user, or the refusal.
    pub sessions: TtlCache<String, Result<CurrentUser, ApiError>>,
    /// SHA-256 of a key → what it grants, or the refusal.
    pub keys: TtlCache<String, Result<KeyInfo, ApiError>>,
    pub user_limit: RateLimiter,
    pub key_limit: RateLimiter,
    pub ip_limit: RateLimiter,
    pub login_limit: RateLimiter,
    pub proxies: crate::client_ip::TrustedProxies,
}

impl AuthState {
    pub fn new(cfg: &GatewayConfig) -> Arc<AuthState> {
        let secret: Vec<u8> = if cfg.auth.jwt_secret.is_empty() {
            // Development without a configured secret: valid for this process only.
            use rand::Rng;
            tracing::warn!("AIDOC_AUTH__JWT_SECRET is not set: using a random secret; tokens end with this process");
            let mut s = vec![0u8; 32];
            rand::rng().fill(&mut s[..]);
            s
        } else {
            cfg.auth.jwt_secret.expose().as_bytes().to_vec()
        };
        let ttl = cfg.auth.cache_ttl;
        Arc::new(AuthState {
            jwt: Jwt::new(&secret, &cfg.auth.issuer, cfg.auth.access_ttl),
            refresh_ttl: cfg.auth.refresh_ttl,
            sessions: TtlCache::new(ttl),
            keys: TtlCache::new(ttl),
            user_limit: RateLimiter::new(cfg.rate_limit.user),
            key_limit: RateLimiter::new(cfg.rate_limit.key),
            ip_limit: RateLimiter::new(cfg.rate_limit.ip),
            login_limit: RateLimiter::new(cfg.rate_limit.login),
            proxies: crate::client_ip::TrustedProxies::new(&cfg.gateway.trusted_proxies),
        })
    }

    /// Forgets what is cached about a user (role change, disable, password).
    pub fn forget_user(&self, user_id: &str) {
        self.sessions.remove_where(|v| v.as_ref().is_ok_and(|u| u.id == user_id));
        self.keys.remove_where(|v| v.as_ref().is_ok_and(|k| k.user.id == user_id));
    }

    pub fn forget_key(&self, key_id: &str) {
        self.keys.remove_where(|v| v.as_ref().is_ok_and(|k| k.key_id == key_id));
    }
}

/// Records a refused action in the audit log without holding up the answer.
pub fn audit_refusal(state: &AppState, actor: api::Actor, action: &str, target: &str, details: serde_json::Value) {
    let channel = state.backends.api.clone();
    let event = api::AuditEvent {
        user_id: actor.user_id,
        api_key_id: actor.api_key_id,
        ip: actor.ip,
        user_agent: actor.user_agent,
        action: action.to_owned(),
        target_type: "route".into(),
        target_id: target.to_owned(),
        success: false,
        details: details.to_string(),
        ..Default::default()
    };
    tokio::spawn(async move {
        let mut client = api::audit_service_client::AuditServiceClient::new(channel);
        if let Err(e) = client.record_event(api::RecordEventRequest { event: Some(event) }).await {
            tracing::warn!(error = %e.message(), "could not record a refused request in the audit log");
        }
    });
}

fn principal_of(req: &HttpRequest) -> Result<Principal, ApiError> {
    req.extensions()
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "sign in or send an API key"))
}

fn require(req: &HttpRequest, p: Permission) -> Result<Principal, ApiError> {
    let principal = principal_of(req)?;
    if let Err(why) = principal.check(p) {
        metrics::counter!(crate::metrics::AUTH_EVENTS_TOTAL, "event" => "forbidden").increment(1);
        if let Some(state) = req.app_data::<web::Data<AppState>>() {
            let route = format!("{} {}", req.method(), req.match_pattern().unwrap_or_else(|| req.path().to_owned()));
            audit_refusal(
                state,
                principal.actor(req),
                "auth.forbidden",
                &route,
                serde_json::json!({ "needed": p.as_str(), "role": principal.role.as_str(), "reason": why }),
            );
        }
        return Err(ApiError::new(ErrorCode::PermissionDenied, why));
    }
    Ok(principal)
}

macro_rules! permission_extractor {
    ($(#[$doc:meta])* $name:ident, $perm:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Principal);

        impl FromRequest for $name {
            type Error = ApiError;
            type Future = Ready<Result<Self, ApiError>>;

            fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
                ready(require(req, $perm).map($name))
            }
        }
    };
}

permission_extractor!(
    /// Any authenticated caller that may read (every role; keys with a scope).
    Reader,
    Permission::Read
);
permission_extractor!(
    /// Editors and admins, by session or by a `write` key.
    Writer,
    Permission::Write
);
permission_extractor!(
    /// Admins, signed in.
    Admin,
    Permission::Admin
);
permission_extractor!(
    /// Any signed-in user acting on their own account.
    SignedIn,
    Permission::Account
);

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, via: Via) -> Principal {
        Principal { user_id: "u".into(), username: "n".into(), role, via }
    }

    fn session() -> Via {
        Via::Session { session_id: "s".into() }
    }

    fn key(read: bool, write: bool) -> Via {
        Via::ApiKey { key_id: "k".into(), read, write }
    }

    #[test]
    fn roles_and_scopes() {
        use Permission::*;
        let table = [
            (p(Role::Viewer, session()), [true, false, false, true]),
            (p(Role::Editor, session()), [true, true, false, true]),
            (p(Role::Admin, session()), [true, true, true, true]),
            (p(Role::Admin, key(true, false)), [true, false, false, false]),
            (p(Role::Admin, key(false, true)), [true, true, false, false]),
            (p(Role::Viewer, key(true, true)), [true, false, false, false]),
            (p(Role::Editor, key(false, false)), [false, false, false, false]),
        ];
        for (who, expected) in table {
            let got = [Read, Write, Admin, Account].map(|perm| who.check(perm).is_ok());
            assert_eq!(got, expected, "{who:?}");
        }
    }
}
