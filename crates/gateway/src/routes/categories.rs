//! `/api/v1/categories` and `/api/v1/tags`.

use super::catalog;
use crate::auth::{Reader, Writer};
use crate::dto;
use crate::error::{ApiResult, ErrorBody};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use aidoc_proto::api::v1 as api;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/categories").route(web::get().to(list)).route(web::post().to(create)))
        .service(
            web::resource("/api/v1/categories/{id}").route(web::patch().to(update)).route(web::delete().to(delete)),
        )
        .service(web::resource("/api/v1/tags").route(web::get().to(tags)));
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCategory)]
pub struct CreateBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub parent_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CategoryPatch)]
pub struct UpdateBody {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// Every category (one page).
#[utoipa::path(get, path = "/api/v1/categories", tag = "categories",
    responses((status = 200, description = "Every category.", body = dto::Page<dto::Category>)))]
pub async fn list(state: web::Data<AppState>, _: Reader) -> ApiResult<HttpResponse> {
    let resp = catalog(&state).list_categories(api::ListCategoriesRequest {}).await?.into_inner();
    Ok(HttpResponse::Ok().json(dto::Page::whole(resp.categories.into_iter().map(dto::Category::from).collect())))
}

#[utoipa::path(post, path = "/api/v1/categories", tag = "categories", request_body = CreateBody,
    responses(
        (status = 201, description = "Created.", body = dto::Category),
        (status = 404, description = "`parent_id` names no category (`not_found`).", body = ErrorBody),
        (status = 409, description = "A category of that name exists under that parent (`already_exists`).", body = ErrorBody),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    Writer(who): Writer,
    body: web::Json<CreateBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let c = catalog(&state)
        .create_category(api::CreateCategoryRequest {
            actor: Some(who.actor(&req)),
            name: b.name,
            description: b.description,
            parent_id: b.parent_id.unwrap_or_default(),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Created().json(dto::Category::from(c)))
}

#[utoipa::path(patch, path = "/api/v1/categories/{id}", tag = "categories",
    params(("id" = String, Path, description = "The category id.")), request_body = UpdateBody,
    responses(
        (status = 200, description = "The updated category.", body = dto::Category),
        (status = 409, description = "A sibling has that name (`already_exists`).", body = ErrorBody),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    Writer(who): Writer,
    id: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let c = catalog(&state)
        .update_category(api::UpdateCategoryRequest {
            actor: Some(who.actor(&req)),
            id: id.into_inner(),
            name: b.name,
            description: b.description,
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(dto::Category::from(c)))
}

/// Deletes the category; its documents and sub-categories keep existing without it.
#[utoipa::path(delete, path = "/api/v1/categories/{id}", tag = "categories",
    params(("id" = String, Path, description = "The category id.")),
    responses(
        (status = 204, description = "Deleted."),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    Writer(who): Writer,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    catalog(&state)
        .delete_category(api::DeleteCategoryRequest { actor: Some(who.actor(&req)), id: id.into_inner() })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TagQuery {
    /// Only tags starting with this.
    pub prefix: Option<String>,
}

/// Tags in use, with their document counts (one page).
#[utoipa::path(get, path = "/api/v1/tags", tag = "categories", params(TagQuery),
    responses((status = 200, description = "Tags.", body = dto::Page<dto::Tag>)))]
pub async fn tags(state: web::Data<AppState>, _: Reader, q: web::Query<TagQuery>) -> ApiResult<HttpResponse> {
    let resp = catalog(&state)
        .list_tags(api::ListTagsRequest { prefix: q.into_inner().prefix.unwrap_or_default() })
        .await?
        .into_inner();
    let items: Vec<dto::Tag> =
        resp.tags.into_iter().map(|t| dto::Tag { name: t.name, document_count: t.document_count }).collect();
    Ok(HttpResponse::Ok().json(dto::Page::whole(items)))
}
