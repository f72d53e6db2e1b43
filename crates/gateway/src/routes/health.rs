//! `/health`, `/health/live`, `/health/ready` on the main port too, so the
//! edge can pass them through without reaching the admin port.

use crate::state::AppState;
use actix_web::{HttpResponse, web};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(ready))
        .route("/health/ready", web::get().to(ready))
        .route("/health/live", web::get().to(live));
}

async fn live() -> HttpResponse {
    HttpResponse::Ok()
        .json(serde_json::json!({ "status": "alive", "service": "gateway", "version": aidoc_common::VERSION }))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let report = state.health.report().await;
    let body = serde_json::to_value(&report).unwrap_or_default();
    if report.is_ready() { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) }
}
