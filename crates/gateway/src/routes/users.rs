//! `/api/v1/users`: user administration (admins only).

use super::identity;
use crate::auth::{Admin, Role};
use crate::dto;
use crate::error::ErrorBody;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/users").route(web::get().to(list)).route(web::post().to(create)))
        .service(web::resource("/api/v1/users/{id}").route(web::get().to(get)).route(web::patch().to(update)));
}

fn role(s: &str) -> ApiResult<api::Role> {
    Role::parse(s).map(Role::to_proto).ok_or_else(|| {
        ApiError::new(ErrorCode::InvalidArgument, format!("role `{s}` is not one of admin, editor, viewer"))
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewUser)]
pub struct CreateBody {
    pub username: String,
    pub password: String,
    #[schema(value_type = dto::RoleName)]
    pub role: String,
    #[serde(default)]
    pub display_name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UserPatch)]
pub struct UpdateBody {
    pub display_name: Option<String>,
    #[schema(value_type = Option<dto::RoleName>)]
    pub role: Option<String>,
    pub disabled: Option<bool>,
    /// Sets a new password (ends the user's sessions).
    pub password: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page size.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer_token" = [])), params(ListQuery),
    responses((status = 200, description = "One page of users.", body = dto::Page<dto::User>)))]
pub async fn list(state: web::Data<AppState>, _: Admin, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let r = identity(&state)
        .list_users(api::ListUsersRequest { limit: q.limit.unwrap_or(0), cursor: q.cursor.unwrap_or_default() })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(dto::Page {
        items: r.users.into_iter().map(dto::User::from).collect::<Vec<_>>(),
        next_cursor: (!r.next_cursor.is_empty()).then_some(r.next_cursor),
    }))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer_token" = [])), request_body = CreateBody,
    responses(
        (status = 201, description = "Created.", body = dto::User),
        (status = 409, description = "The user name is taken (`already_exists`).", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    Admin(who): Admin,
    body: web::Json<CreateBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let user = identity(&state)
        .create_user(api::CreateUserRequest {
            actor: Some(who.actor(&req)),
            username: b.username,
            display_name: b.display_name,
            password: b.password,
            role: role(&b.role)? as i32,
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Created().json(dto::User::from(user)))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer_token" = [])),
    params(("id" = String, Path, description = "The user id.")),
    responses((status = 200, description = "The user.", body = dto::User)))]
pub async fn get(state: web::Data<AppState>, _: Admin, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let user = identity(&state).get_user(api::GetUserRequest { id: id.into_inner() }).await?.into_inner();
    Ok(HttpResponse::Ok().json(dto::User::from(user)))
}

/// Changes a user's name, role, status or password; takes effect at once.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", security(("bearer_token" = [])),
    params(("id" = String, Path, description = "The user id.")), request_body = UpdateBody,
    responses(
        (status = 200, description = "The updated user.", body = dto::User),
        (status = 409, description = "The change would leave no enabled admin (`conflict`).", body = ErrorBody),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    Admin(who): Admin,
    id: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let id = id.into_inner();
    let user = identity(&state)
        .update_user(api::UpdateUserRequest {
            actor: Some(who.actor(&req)),
            id: id.clone(),
            display_name: b.display_name,
            role: b.role.as_deref().map(role).transpose()?.map(|r| r as i32),
            disabled: b.disabled,
            password: b.password,
        })
        .await?
        .into_inner();
    // Role, status and password take effect on this instance at once.
    state.auth.forget_user(&id);
    Ok(HttpResponse::Ok().json(dto::User::from(user)))
}
