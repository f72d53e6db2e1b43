//! `/health`, `/health/live`, `/health/ready` on the main port too, so the
//! edge can pass them through without reaching the admin port.

use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/health/ready", web::get().to(ready))
        .route("/health/live", web::get().to(live));
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health/live", tag = "health", security(()),
    responses((status = 200, description = "Alive.", body = Object)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok()
        .json(serde_json::json!({ "status": "alive", "service": "gateway", "version": aidoc_common::VERSION }))
}

/// Readiness: this gateway and the backends it needs (api, indexer, storage).
/// Also served at `/health`.
#[utoipa::path(get, path = "/health/ready", tag = "health", security(()),
    responses(
        (status = 200, description = "Ready: every check passes.", body = Object),
        (status = 503, description = "Not ready: the body lists the failing checks.", body = Object),
    ))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let report = state.health.report().await;
    let body = serde_json::to_value(&report).unwrap_or_default();
    if report.is_ready() { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}

/// Readiness, as `/health/ready`.
#[utoipa::path(get, path = "/health", tag = "health", security(()),
    responses(
        (status = 200, description = "Ready: every check passes.", body = Object),
        (status = 503, description = "Not ready: the body lists the failing checks.", body = Object),
    ))]
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    ready(state).await
}
