//! `GET /api/v1/system/status`: each backend service's health as seen from
//! this gateway, with the round-trip time of the check.

use crate::auth::Reader;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use aidoc_common::client::TracedChannel;
use serde::Serialize;
use std::time::{Duration, Instant};
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
use utoipa::ToSchema;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/system/status", web::get().to(status));
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceStatus {
    pub name: &'static str,
    /// `serving`, `not_serving`, `unknown`, `service_unknown` or `unreachable`.
    pub status: String,
    pub latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemStatus {
    /// `ok` when every service is serving, else `degraded`.
    pub status: &'static str,
    pub version: &'static str,
    pub services: Vec<ServiceStatus>,
}

pub async fn check(name: &'static str, ch: TracedChannel) -> ServiceStatus {
    let started = Instant::now();
    let mut client = HealthClient::new(ch);
    let mut req = tonic::Request::new(HealthCheckRequest { service: String::new() });
    req.set_timeout(Duration::from_secs(2));
    let result = client.check(req).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(r) => ServiceStatus {
            name,
            status: r.into_inner().status().as_str_name().to_ascii_lowercase(),
            latency_ms,
            error: None,
        },
        Err(e) => ServiceStatus { name, status: "unreachable".into(), latency_ms, error: Some(e.message().to_owned()) },
    }
}

/// Each backend service's health as seen from this gateway.
#[utoipa::path(get, path = "/api/v1/system/status", tag = "system",
    responses((status = 200, description = "Service health (also when degraded).", body = SystemStatus)))]
pub async fn status(state: web::Data<AppState>, _: Reader) -> HttpResponse {
    let b = &state.backends;
    let services = futures::future::join_all([
        check("api", b.api.clone()),
        check("indexer", b.indexer.clone()),
        check("parser", b.parser.clone()),
        check("backup", b.backup.clone()),
    ])
    .await;
    let ok = services.iter().all(|s| s.status == "serving");
    HttpResponse::Ok().json(SystemStatus {
        status: if ok { "ok" } else { "degraded" },
        version: aidoc_common::VERSION,
        services,
    })
}
