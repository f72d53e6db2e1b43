//! `/api/v1/categories` and `/api/v1/tags`.

use super::catalog;
use crate::auth::{Reader, Writer};
use crate::dto;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use aidoc_proto::api::v1 as api;
use serde::Deserialize;
use serde_json::json;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/v1/categories").route(web::get().to(list)).route(web::post().to(create)))
        .service(
            web::resource("/api/v1/categories/{id}").route(web::patch().to(update)).route(web::delete().to(delete)),
        )
        .service(web::resource("/api/v1/tags").route(web::get().to(tags)));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub parent_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    pub name: Option<String>,
    pub description: Option<String>,
}

async fn list(state: web::Data<AppState>, _: Reader) -> ApiResult<HttpResponse> {
    let resp = catalog(&state).list_categories(api::ListCategoriesRequest {}).await?.into_inner();
    Ok(HttpResponse::Ok()
        .json(json!({ "items": resp.categories.into_iter().map(dto::Category::from).collect::<Vec<_>>() })))
}

async fn create(
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

async fn update(
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

async fn delete(
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagQuery {
    pub prefix: Option<String>,
}

async fn tags(state: web::Data<AppState>, _: Reader, q: web::Query<TagQuery>) -> ApiResult<HttpResponse> {
    let resp = catalog(&state)
        .list_tags(api::ListTagsRequest { prefix: q.into_inner().prefix.unwrap_or_default() })
        .await?
        .into_inner();
    let items: Vec<dto::Tag> =
        resp.tags.into_iter().map(|t| dto::Tag { name: t.name, document_count: t.document_count }).collect();
    Ok(HttpResponse::Ok().json(json!({ "items": items })))
}
