//! `/api/v1/audit`: the audit log, newest first (admins only).

use crate::auth::Admin;
use crate::dto;
use crate::error::ApiResult;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use aidoc_proto::api::v1 as api;
use serde::Deserialize;
use utoipa::IntoParams;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/audit", web::get().to(list));
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this user's events.
    pub user_id: Option<String>,
    /// An action or its start, e.g. `auth.` or `document.delete`.
    pub action: Option<String>,
    /// RFC 3339 bounds: `since` inclusive, `until` exclusive.
    pub since: Option<String>,
    pub until: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer_token" = [])), params(AuditQuery),
    responses((status = 200, description = "One page of events, newest first.", body = dto::Page<dto::AuditEvent>)))]
pub async fn list(state: web::Data<AppState>, _: Admin, q: web::Query<AuditQuery>) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let r = api::audit_service_client::AuditServiceClient::new(state.backends.api.clone())
        .list_events(api::ListEventsRequest {
            user_id: q.user_id.unwrap_or_default(),
            action_prefix: q.action.unwrap_or_default(),
            since: q.since.unwrap_or_default(),
            until: q.until.unwrap_or_default(),
            limit: q.limit.unwrap_or(0),
            cursor: q.cursor.unwrap_or_default(),
        })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(dto::Page {
        items: r.events.into_iter().map(dto::AuditEvent::from).collect::<Vec<_>>(),
        next_cursor: (!r.next_cursor.is_empty()).then_some(r.next_cursor),
    }))
}
