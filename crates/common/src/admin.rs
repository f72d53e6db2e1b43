//! The admin HTTP port of every service: `/health/live`, `/health/ready`,
//! `/metrics`. It stays up while the main port drains, so orchestrators see
//! readiness go to 503 before the process exits.

use crate::health::Health;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
struct AdminState {
    health: Health,
    metrics: PrometheusHandle,
    service: &'static str,
    version: &'static str,
}

/// Serves the admin endpoints on `listener` until `stop` is cancelled.
pub async fn serve(
    listener: TcpListener,
    service: &'static str,
    version: &'static str,
    health: Health,
    metrics: PrometheusHandle,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .route("/health", get(ready))
        .route("/metrics", get(metrics_text))
        .with_state(AdminState { health, metrics, service, version });
    axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await
}

async fn live(State(s): State<AdminState>) -> Response {
    let body = serde_json::json!({ "status": "alive", "service": s.service, "version": s.version });
    (StatusCode::OK, axum::Json(body)).into_response()
}

async fn ready(State(s): State<AdminState>) -> Response {
    let report = s.health.report().await;
    let code = if report.is_ready() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let mut body = serde_json::to_value(&report).unwrap_or_default();
    if let Some(obj) = body.as_object_mut() {
        obj.insert("service".into(), s.service.into());
        obj.insert("version".into(), s.version.into());
    }
    (code, axum::Json(body)).into_response()
}

async fn metrics_text(State(s): State<AdminState>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        crate::metrics::render(&s.metrics),
    )
        .into_response()
}
