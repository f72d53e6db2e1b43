//! `/api/v1/keys`: API keys. Every signed-in user manages their own; admins
//! see and revoke everyone's. The secret is in the creation answer only.

use super::identity;
use crate::auth::{Role, SignedIn};
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/keys").route(web::get().to(list)).route(web::post().to(create)))
        .service(web::resource("/api/v1/keys/{id}").route(web::delete().to(revoke)));
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewApiKey)]
pub struct CreateBody {
    pub name: String,
    /// `read` and/or `write`; default `["read"]`.
    #[schema(value_type = Option<Vec<dto::ScopeName>>)]
    pub scopes: Option<Vec<String>>,
    /// RFC 3339; omit for a key that does not expire.
    pub expires_at: Option<String>,
    /// Alternative to `expires_at`: days from now.
    pub expires_in_days: Option<u32>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Admins: `true` lists every user's keys.
    pub all: Option<bool>,
    /// Admins: one user's keys.
    pub user_id: Option<String>,
}

fn scope(s: &str) -> ApiResult<i32> {
    match s {
        "read" => Ok(api::Scope::Read as i32),
        "write" => Ok(api::Scope::Write as i32),
        other => Err(ApiError::new(ErrorCode::InvalidArgument, format!("scope `{other}` is not one of read, write"))),
    }
}

/// Creates a key for the caller; the secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/keys", tag = "keys", security(("bearer_token" = [])), request_body = CreateBody,
    responses(
        (status = 201, description = "Created.", body = dto::CreatedKey),
        (status = 409, description = "The user is disabled or has too many keys (`conflict`).", body = crate::error::ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(who): SignedIn,
    body: web::Json<CreateBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let scopes =
        b.scopes.unwrap_or_else(|| vec!["read".into()]).iter().map(|s| scope(s)).collect::<ApiResult<Vec<_>>>()?;
    let expires_at = match (b.expires_at, b.expires_in_days) {
        (Some(_), Some(_)) => {
            return Err(ApiError::new(ErrorCode::InvalidArgument, "give expires_at or expires_in_days, not both"));
        }
        (Some(t), None) => t,
        (None, Some(0)) => return Err(ApiError::new(ErrorCode::InvalidArgument, "expires_in_days is at least 1")),
        (None, Some(days)) => (chrono::Utc::now() + chrono::Duration::days(i64::from(days.min(3650))))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        (None, None) => String::new(),
    };
    let r = identity(&state)
        .create_api_key(api::CreateApiKeyRequest {
            actor: Some(who.actor(&req)),
            user_id: who.user_id.clone(),
            name: b.name,
            scopes,
            expires_at,
        })
        .await?
        .into_inner();
    let key =
        r.key.map(dto::ApiKey::from).ok_or_else(|| ApiError::new(ErrorCode::Internal, "the api returned no key"))?;
    Ok(HttpResponse::Created().insert_header((header::CACHE_CONTROL, "no-store")).json(dto::CreatedKey {
        key,
        secret: r.secret,
        note: "the secret is shown only now: store it safely".into(),
    }))
}

/// The caller's keys; admins may list another user's or everyone's.
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys", security(("bearer_token" = [])), params(ListQuery),
    responses((status = 200, description = "Keys (one page).", body = dto::Page<dto::ApiKey>)))]
pub async fn list(
    state: web::Data<AppState>,
    SignedIn(who): SignedIn,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let admin = who.role == Role::Admin;
    let user_id = match (q.all.unwrap_or(false), q.user_id) {
        (true, _) | (_, Some(_)) if !admin => {
            return Err(ApiError::new(ErrorCode::PermissionDenied, "only admins list other users' keys"));
        }
        (true, _) => String::new(),
        (false, Some(u)) => u,
        (false, None) => who.user_id.clone(),
    };
    let r = identity(&state).list_api_keys(api::ListApiKeysRequest { user_id }).await?.into_inner();
    Ok(HttpResponse::Ok().json(dto::Page::whole(r.keys.into_iter().map(dto::ApiKey::from).collect())))
}

/// Revokes a key of the caller's (admins: anyone's); it stops working at once.
#[utoipa::path(delete, path = "/api/v1/keys/{id}", tag = "keys", security(("bearer_token" = [])),
    params(("id" = String, Path, description = "The key id.")),
    responses((status = 204, description = "Revoked.")))]
pub async fn revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn(who): SignedIn,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    identity(&state)
        .revoke_api_key(api::RevokeApiKeyRequest {
            actor: Some(who.actor(&req)),
            id: id.clone(),
            // Anyone but an admin revokes only their own keys.
            owner_id: if who.role == Role::Admin { String::new() } else { who.user_id.clone() },
        })
        .await?;
    state.auth.forget_key(&id);
    Ok(HttpResponse::NoContent().finish())
}
