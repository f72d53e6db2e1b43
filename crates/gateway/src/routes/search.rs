//! `/api/v1/search` (GET with query parameters, POST with a JSON body) and
//! `/api/v1/chunks/{id}`.

use crate::auth::Reader;
use crate::dto;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use aidoc_proto::ErrorCode;
use aidoc_proto::indexer::v1 as idx;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The search route (the monitor counts its successful answers as searches).
pub const SEARCH_PATH: &str = "/api/v1/search";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(SEARCH_PATH).route(web::get().to(search_get)).route(web::post().to(search_post)))
        .service(web::resource("/api/v1/chunks/{id}").route(web::get().to(chunk)));
}

/// Narrows a search; every list is "any of".
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Filters {
    #[serde(default)]
    pub category_ids: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub document_ids: Vec<String>,
    #[serde(default)]
    /// Language codes, e.g. `en`, `zh`.
    pub languages: Vec<String>,
    /// RFC 3339: documents created at or after.
    pub created_after: Option<String>,
    /// RFC 3339: documents created before.
    pub created_before: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    pub query: String,
    #[schema(value_type = Option<dto::SearchMode>)]
    pub mode: Option<String>,
    /// Hits per page (at most 100).
    #[schema(maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    #[serde(default)]
    pub filters: Filters,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// The query text.
    pub q: Option<String>,
    /// `hybrid` (default), `keyword` or `semantic`.
    #[param(value_type = Option<dto::SearchMode>)]
    pub mode: Option<String>,
    /// Hits per page (at most 100).
    #[param(maximum = 100)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Category ids (comma-separated).
    pub category: Option<String>,
    /// Tags (comma-separated).
    pub tag: Option<String>,
    /// Document ids (comma-separated).
    pub document: Option<String>,
    /// Language codes (comma-separated).
    pub lang: Option<String>,
    /// RFC 3339: documents created at or after.
    pub after: Option<String>,
    /// RFC 3339: documents created before.
    pub before: Option<String>,
}

fn list(v: Option<String>) -> Vec<String> {
    v.map(|s| s.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()).unwrap_or_default()
}

fn mode_of(m: Option<&str>) -> ApiResult<idx::SearchMode> {
    Ok(match m.unwrap_or("hybrid") {
        "" | "hybrid" => idx::SearchMode::Hybrid,
        "keyword" => idx::SearchMode::Keyword,
        "semantic" => idx::SearchMode::Semantic,
        other => {
            return Err(ApiError::new(
                ErrorCode::InvalidArgument,
                format!("mode `{other}` is not one of hybrid, keyword, semantic"),
            ));
        }
    })
}

fn mode_name(m: i32) -> &'static str {
    match idx::SearchMode::try_from(m).unwrap_or(idx::SearchMode::Hybrid) {
        idx::SearchMode::Keyword => "keyword",
        idx::SearchMode::Semantic => "semantic",
        _ => "hybrid",
    }
}

async fn run(state: &AppState, body: SearchBody) -> ApiResult<HttpResponse> {
    let mode = mode_of(body.mode.as_deref())?;
    if body.limit.is_some_and(|l| l > 100) {
        return Err(ApiError::new(ErrorCode::InvalidArgument, "limit is at most 100"));
    }
    let f = body.filters;
    // The index stores text without NUL; such input matches nothing and is refused.
    let texts = [&body.query]
        .into_iter()
        .chain(body.cursor.as_ref())
        .chain(f.created_after.as_ref())
        .chain(f.created_before.as_ref())
        .chain(f.category_ids.iter().chain(&f.tags).chain(&f.document_ids).chain(&f.languages));
    if texts.into_iter().any(|t| t.contains('\0')) {
        return Err(ApiError::new(ErrorCode::InvalidArgument, "text must not contain NUL (\\0) characters"));
    }
    let resp = super::indexer(state)
        .search(idx::SearchRequest {
            query: body.query,
            mode: mode as i32,
            filters: Some(idx::SearchFilters {
                category_ids: f.category_ids,
                tags: f.tags,
                document_ids: f.document_ids,
                languages: f.languages,
                created_after: f.created_after.unwrap_or_default(),
                created_before: f.created_before.unwrap_or_default(),
            }),
            limit: body.limit.unwrap_or(0),
            cursor: body.cursor.unwrap_or_default(),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(dto::SearchResults {
        mode: mode_name(resp.mode).to_owned(),
        hits: resp.hits.into_iter().map(dto::SearchHit::from).collect(),
        next_cursor: (!resp.next_cursor.is_empty()).then_some(resp.next_cursor),
        took_ms: resp.took_ms,
    }))
}

/// Searches chunks; the query and filters as parameters.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchQuery),
    responses((status = 200, description = "One page of hits.", body = dto::SearchResults)))]
pub async fn search_get(state: web::Data<AppState>, _: Reader, q: web::Query<SearchQuery>) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let body = SearchBody {
        query: q.q.unwrap_or_default(),
        mode: q.mode,
        limit: q.limit,
        cursor: q.cursor,
        filters: Filters {
            category_ids: list(q.category),
            tags: list(q.tag),
            document_ids: list(q.document),
            languages: list(q.lang),
            created_after: q.after,
            created_before: q.before,
        },
    };
    run(&state, body).await
}

/// Searches chunks; the query and filters as a JSON body.
#[utoipa::path(post, path = "/api/v1/search", tag = "search", request_body = SearchBody,
    responses((status = 200, description = "One page of hits.", body = dto::SearchResults)))]
pub async fn search_post(
    state: web::Data<AppState>,
    _: Reader,
    body: web::Json<SearchBody>,
) -> ApiResult<HttpResponse> {
    run(&state, body.into_inner()).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ChunkQuery {
    /// Chunks before and after to include (at most 10).
    pub neighbours: Option<u32>,
}

/// One chunk with its neighbours.
#[utoipa::path(get, path = "/api/v1/chunks/{id}", tag = "search",
    params(("id" = String, Path, description = "The chunk id."), ChunkQuery),
    responses((status = 200, description = "The chunk.", body = dto::ChunkWithContext)))]
pub async fn chunk(
    state: web::Data<AppState>,
    _: Reader,
    id: web::Path<String>,
    q: web::Query<ChunkQuery>,
) -> ApiResult<HttpResponse> {
    let resp = super::indexer(&state)
        .get_chunk(idx::GetChunkRequest { chunk_id: id.into_inner(), neighbours: q.neighbours.unwrap_or(0).min(10) })
        .await?
        .into_inner();
    let chunk = resp.chunk.ok_or_else(|| ApiError::new(ErrorCode::NotFound, "chunk not found"))?;
    Ok(HttpResponse::Ok().json(dto::ChunkWithContext {
        chunk: chunk.into(),
        before: resp.before.into_iter().map(Into::into).collect(),
        after: resp.after.into_iter().map(Into::into).collect(),
        document_title: resp.document_title,
    }))
}
