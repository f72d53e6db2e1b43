//! Authentication and rate limits for every request under `/api/` and for
//! the MCP endpoint.

use super::jwt::TokenError;
use super::{CurrentUser, KeyInfo, Principal, Via};
use crate::error::ApiError;
use crate::metrics::{AUTH_EVENTS_TOTAL, RATE_LIMITED_TOTAL};
use crate::ratelimit::{RateLimiter, retry_after_secs};
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use sha2::{Digest, Sha256};

/// Reachable without credentials (rate limited per address).
pub const PUBLIC: [&str; 2] = ["/api/v1/auth/login", "/api/v1/auth/refresh"];

/// The API's own description: public, static, not rate limited.
pub fn is_documentation(path: &str) -> bool {
    path == crate::openapi::SPEC_PATH || path == "/api/docs" || path.starts_with(crate::openapi::DOCS_PATH)
}

/// What a request presented.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    None,
    Bearer(&'a str),
    ApiKey(&'a str),
    Malformed,
}

/// `X-API-Key: K`, or `Authorization: Bearer T` where `T` is an API key
/// (`aidoc_…`) or an access token.
pub fn credential(headers: &header::HeaderMap) -> Credential<'_> {
    if let Some(v) = headers.get("x-api-key") {
        return match v.to_str() {
            Ok(k) if !k.trim().is_empty() => Credential::ApiKey(k.trim()),
            _ => Credential::Malformed,
        };
    }
    let Some(v) = headers.get(header::AUTHORIZATION) else { return Credential::None };
    let Ok(v) = v.to_str() else { return Credential::Malformed };
    let mut parts = v.trim().splitn(2, ' ');
    match (parts.next(), parts.next().map(str::trim)) {
        (Some(scheme), Some(token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
            if token.starts_with("aidoc_") { Credential::ApiKey(token) } else { Credential::Bearer(token) }
        }
        _ => Credential::Malformed,
    }
}

fn limited(limiter: &RateLimiter, key: &str, scope: &'static str) -> Result<(), ApiError> {
    limiter.check(key).map_err(|wait| {
        metrics::counter!(RATE_LIMITED_TOTAL, "scope" => scope).increment(1);
        let secs = retry_after_secs(wait);
        ApiError::new(ErrorCode::RateLimited, format!("too many requests; retry in {secs} s")).retry_after(secs)
    })
}

fn unauthenticated(message: &str) -> ApiError {
    ApiError::new(ErrorCode::Unauthenticated, message)
}

pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !(req.path().starts_with("/api/") || req.path() == crate::mcp::PATH) || is_documentation(req.path()) {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    match resolve(&state, &req).await {
        Ok(Some(principal)) => {
            req.extensions_mut().insert(principal);
            next.call(req).await.map(ServiceResponse::map_into_left_body)
        }
        Ok(None) => next.call(req).await.map(ServiceResponse::map_into_left_body),
        Err(e) => {
            let response = e.error_response();
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// The caller of `req`: `None` for a public route.
async fn resolve(state: &AppState, req: &ServiceRequest) -> Result<Option<Principal>, ApiError> {
    let auth = &state.auth;
    let ip = auth.proxies.client_ip(req.request());
    if PUBLIC.contains(&req.path()) {
        limited(&auth.ip_limit, &ip, "ip")?;
        return Ok(None);
    }
    let principal = match credential(req.headers()) {
        Credential::None => {
            limited(&auth.ip_limit, &ip, "ip")?;
            return Err(unauthenticated(
                "sign in (Authorization: Bearer <access token>) or send an API key (X-API-Key)",
            ));
        }
        Credential::Malformed => {
            limited(&auth.ip_limit, &ip, "ip")?;
            return Err(unauthenticated("the Authorization header is not `Bearer <token>`"));
        }
        Credential::Bearer(token) => match auth.jwt.verify(token) {
            Ok(claims) => by_session(state, &claims.sid, &claims.sub).await.inspect_err(|_| {
                metrics::counter!(AUTH_EVENTS_TOTAL, "event" => "session_rejected").increment(1);
            })?,
            Err(TokenError::Expired) => {
                metrics::counter!(AUTH_EVENTS_TOTAL, "event" => "token_expired").increment(1);
                return Err(ApiError::new(ErrorCode::TokenExpired, "the access token has expired; refresh it"));
            }
            Err(TokenError::Invalid) => {
                limited(&auth.ip_limit, &ip, "ip")?;
                metrics::counter!(AUTH_EVENTS_TOTAL, "event" => "token_rejected").increment(1);
                let actor = crate::routes::anonymous_actor(req.request());
                super::audit_refusal(
                    state,
                    actor,
                    "auth.token_rejected",
                    &format!("{} {}", req.method(), req.path()),
                    serde_json::json!({ "reason": "invalid access token" }),
                );
                return Err(unauthenticated("the access token is not valid"));
            }
        },
        Credential::ApiKey(key) => {
            let checked = by_key(state, req, key).await;
            if checked.is_err() {
                limited(&auth.ip_limit, &ip, "ip")?;
            }
            checked?
        }
    };
    match &principal.via {
        Via::ApiKey { key_id, .. } => limited(&auth.key_limit, key_id, "key")?,
        Via::Session { .. } => limited(&auth.user_limit, &principal.user_id, "user")?,
    }
    Ok(Some(principal))
}

async fn by_session(state: &AppState, sid: &str, sub: &str) -> Result<Principal, ApiError> {
    let auth = &state.auth;
    let user = match auth.sessions.get(&sid.to_owned()) {
        Some(cached) => cached?,
        None => {
            let mut client = api::identity_service_client::IdentityServiceClient::new(state.backends.api.clone());
            let answer = client.verify_session(api::VerifySessionRequest { session_id: sid.to_owned() }).await;
            let result = match answer {
                Ok(r) => r
                    .into_inner()
                    .user
                    .as_ref()
                    .and_then(CurrentUser::from_proto)
                    .ok_or_else(|| ApiError::new(ErrorCode::Internal, "the api returned no user")),
                Err(status) => Err(ApiError::from(status)),
            };
            if cacheable(&result) {
                auth.sessions.insert(sid.to_owned(), result.clone());
            }
            result?
        }
    };
    if user.id != sub {
        return Err(unauthenticated("the access token is not valid"));
    }
    Ok(Principal {
        user_id: user.id,
        username: user.username,
        role: user.role,
        via: Via::Session { session_id: sid.to_owned() },
    })
}

/// Answers worth remembering: a user, or a definite refusal (not an outage).
fn cacheable<T>(r: &Result<T, ApiError>) -> bool {
    match r {
        Ok(_) => true,
        Err(e) => e.code == ErrorCode::Unauthenticated,
    }
}

async fn by_key(state: &AppState, req: &ServiceRequest, key: &str) -> Result<Principal, ApiError> {
    let auth = &state.auth;
    let hash = hex::encode(Sha256::digest(key.as_bytes()));
    let now = chrono::Utc::now().timestamp();
    let expired = |k: &KeyInfo| k.expires_at != 0 && k.expires_at <= now;
    // A cached key that has expired since is checked again, so that the api
    // records the refusal.
    let cached = auth.keys.get(&hash).filter(|c| !c.as_ref().is_ok_and(expired));
    let info = match cached {
        Some(cached) => cached?,
        None => {
            let mut client = api::identity_service_client::IdentityServiceClient::new(state.backends.api.clone());
            let answer = client
                .verify_api_key(api::VerifyApiKeyRequest {
                    secret: key.to_owned(),
                    actor: Some(crate::routes::anonymous_actor(req.request())),
                })
                .await;
            let result = match answer {
                Ok(r) => {
                    let r = r.into_inner();
                    match (r.key, r.user.as_ref().and_then(CurrentUser::from_proto)) {
                        (Some(k), Some(user)) => Ok(KeyInfo {
                            read: k.scopes.contains(&(api::Scope::Read as i32)),
                            write: k.scopes.contains(&(api::Scope::Write as i32)),
                            expires_at: chrono::DateTime::parse_from_rfc3339(&k.expires_at)
                                .map(|t| t.timestamp())
                                .unwrap_or(0),
                            key_id: k.id,
                            user,
                        }),
                        _ => Err(ApiError::new(ErrorCode::Internal, "the api returned no key")),
                    }
                }
                Err(status) => Err(ApiError::from(status)),
            };
            if cacheable(&result) {
                auth.keys.insert(hash.clone(), result.clone());
            }
            result?
        }
    };
    if expired(&info) {
        auth.keys.remove(&hash);
        return Err(unauthenticated("the API key has expired"));
    }
    Ok(Principal {
        user_id: info.user.id,
        username: info.user.username,
        role: info.user.role,
        via: Via::ApiKey { key_id: info.key_id, read: info.read, write: info.write },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn credentials_are_told_apart() {
        assert_eq!(credential(&headers(&[])), Credential::None);
        assert_eq!(credential(&headers(&[("authorization", "Bearer eyJ.x.y")])), Credential::Bearer("eyJ.x.y"));
        assert_eq!(
            credential(&headers(&[("authorization", "bearer aidoc_1234abcd_x")])),
            Credential::ApiKey("aidoc_1234abcd_x")
        );
        assert_eq!(credential(&headers(&[("x-api-key", "aidoc_k")])), Credential::ApiKey("aidoc_k"));
        assert_eq!(credential(&headers(&[("authorization", "Basic dTpw")])), Credential::Malformed);
        assert_eq!(credential(&headers(&[("authorization", "Bearer ")])), Credential::Malformed);
        // The key header wins when both are sent.
        assert_eq!(
            credential(&headers(&[("authorization", "Bearer eyJ.x.y"), ("x-api-key", "aidoc_k")])),
            Credential::ApiKey("aidoc_k")
        );
    }
}
