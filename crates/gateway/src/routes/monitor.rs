//! `/api/v1/monitor/*`: the figures behind the web UI's monitor page
//! (admins only). Request figures are summed over every gateway instance
//! (each adds its own to the api's monitor data); service details come from
//! each service itself.

use crate::auth::Admin;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use aidoc_common::client::TracedChannel;
use aidoc_common::monitor::{p95, step_for};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api;
use aidoc_proto::api::v1::monitor_service_client::MonitorServiceClient;
use aidoc_proto::common::v1 as info;
use aidoc_proto::common::v1::info_client::InfoClient;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/monitor/traffic", web::get().to(traffic))
        .route("/api/v1/monitor/ingest", web::get().to(ingest))
        .route("/api/v1/monitor/usage", web::get().to(usage))
        .route("/api/v1/monitor/services", web::get().to(services));
}

pub const DEFAULT_WINDOW: u32 = 3600;
pub const MIN_WINDOW: u32 = 300;
pub const MAX_WINDOW: u32 = 604_800;
pub const DEFAULT_DAYS: u32 = 14;
pub const MAX_DAYS: u32 = 90;
/// Most events `services` returns.
pub const MAX_EVENTS: usize = 100;

/// A whole number within `min..=max`, or a 400 naming the parameter.
pub fn bounded(name: &str, raw: Option<&str>, default: u32, min: u32, max: u32) -> ApiResult<u32> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::new(
            ErrorCode::InvalidArgument,
            format!("`{name}` must be a whole number from {min} to {max}, not {raw:?}"),
        )),
    }
}

fn rfc3339(epoch_seconds: i64) -> String {
    chrono::DateTime::from_timestamp(epoch_seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WindowQuery {
    /// The window in seconds up to now, 300 to 604800 (default 3600).
    #[param(value_type = Option<u32>, minimum = 300, maximum = 604800)]
    pub window: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DaysQuery {
    /// Days up to today (UTC), 1 to 90 (default 14).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 90)]
    pub days: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrafficPoint {
    /// Start of the step (RFC 3339).
    pub t: String,
    pub requests_per_second: f64,
    /// 95th percentile latency in ms, interpolated within fixed histogram
    /// buckets merged over every gateway instance.
    pub p95_ms: f64,
    /// Share of answers with a 5xx status (4xx answers are not errors).
    pub error_rate: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrafficGroup {
    /// `auth`, `documents`, `search`, `mcp`, `admin` or `ui`.
    pub group: String,
    /// Steps with traffic only, oldest first.
    pub points: Vec<TrafficPoint>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Traffic {
    pub window_seconds: u32,
    pub step_seconds: u32,
    pub groups: Vec<TrafficGroup>,
}

/// Request rate, p95 latency and error rate per route group, summed over
/// every gateway instance. Health, metrics and the OpenAPI document are not counted.
#[utoipa::path(get, path = "/api/v1/monitor/traffic", tag = "monitor", security(("bearer_token" = [])),
    params(WindowQuery),
    responses((status = 200, description = "One series per route group.", body = Traffic)))]
pub async fn traffic(state: web::Data<AppState>, _: Admin, q: web::Query<WindowQuery>) -> ApiResult<HttpResponse> {
    let window = bounded("window", q.window.as_deref(), DEFAULT_WINDOW, MIN_WINDOW, MAX_WINDOW)?;
    let step = step_for(window);
    let r = MonitorServiceClient::new(state.backends.api.clone())
        .get_traffic(api::GetTrafficRequest { window_seconds: window, step_seconds: step })
        .await?
        .into_inner();
    let groups = r
        .groups
        .into_iter()
        .map(|g| TrafficGroup {
            group: g.group,
            points: g
                .points
                .into_iter()
                .filter(|p| p.requests > 0)
                .map(|p| TrafficPoint {
                    t: rfc3339(p.t),
                    requests_per_second: p.requests as f64 / f64::from(step),
                    p95_ms: p95(&p.latency_buckets).unwrap_or(0.0),
                    error_rate: p.errors as f64 / p.requests as f64,
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Traffic { window_seconds: window, step_seconds: step, groups }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IngestPoint {
    pub t: String,
    /// The highest sampled queue depth within the step.
    pub queued: u64,
    pub oldest_queued_age_seconds: f64,
    /// Pages of the jobs completed within the step.
    pub pages_parsed: u64,
    /// Chunks of the jobs completed within the step.
    pub chunks_embedded: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Ingest {
    pub queued: u64,
    pub running: u64,
    pub failed: u64,
    pub oldest_queued_age_seconds: f64,
    pub step_seconds: u32,
    pub points: Vec<IngestPoint>,
}

/// The ingest queue now, and its depth and throughput over the window.
#[utoipa::path(get, path = "/api/v1/monitor/ingest", tag = "monitor", security(("bearer_token" = [])),
    params(WindowQuery),
    responses((status = 200, description = "The queue now and its history.", body = Ingest)))]
pub async fn ingest(state: web::Data<AppState>, _: Admin, q: web::Query<WindowQuery>) -> ApiResult<HttpResponse> {
    let window = bounded("window", q.window.as_deref(), DEFAULT_WINDOW, MIN_WINDOW, MAX_WINDOW)?;
    let step = step_for(window);
    let r = MonitorServiceClient::new(state.backends.api.clone())
        .get_ingest(api::GetIngestRequest { window_seconds: window, step_seconds: step })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(Ingest {
        queued: r.queued,
        running: r.running,
        failed: r.failed,
        oldest_queued_age_seconds: r.oldest_queued_age_seconds,
        step_seconds: step,
        points: r
            .points
            .into_iter()
            .map(|p| IngestPoint {
                t: rfc3339(p.t),
                queued: p.queued,
                oldest_queued_age_seconds: p.oldest_queued_age_seconds,
                pages_parsed: p.pages_parsed,
                chunks_embedded: p.chunks_embedded,
            })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDay {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Documents and new versions uploaded (and not deleted since).
    pub uploads: u64,
    /// REST searches and MCP `search_docs` calls.
    pub searches: u64,
    /// Users that made an authenticated request that day.
    pub active_users: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Usage {
    pub active_users_24h: u64,
    /// Every day of the range, oldest first.
    pub days: Vec<UsageDay>,
}

/// Uploads, searches and active users per day.
#[utoipa::path(get, path = "/api/v1/monitor/usage", tag = "monitor", security(("bearer_token" = [])),
    params(DaysQuery),
    responses((status = 200, description = "One entry per day.", body = Usage)))]
pub async fn usage(state: web::Data<AppState>, _: Admin, q: web::Query<DaysQuery>) -> ApiResult<HttpResponse> {
    let days = bounded("days", q.days.as_deref(), DEFAULT_DAYS, 1, MAX_DAYS)?;
    let r = MonitorServiceClient::new(state.backends.api.clone())
        .get_usage(api::GetUsageRequest { days })
        .await?
        .into_inner();
    Ok(HttpResponse::Ok().json(Usage {
        active_users_24h: r.active_users_24h,
        days: r
            .days
            .into_iter()
            .map(|d| UsageDay { day: d.day, uploads: d.uploads, searches: d.searches, active_users: d.active_users })
            .collect(),
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    pub name: String,
    /// `serving`, `not_serving`, `unknown`, `service_unknown` or `unreachable`.
    pub status: String,
    /// The version the service reports (empty when unreachable).
    pub version: String,
    /// Round trip of the health check in ms.
    pub latency_ms: f64,
    /// When the service process started (RFC 3339; empty when unreachable).
    pub started_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Event {
    pub at: String,
    /// `warn` or `error`.
    pub level: String,
    pub service: String,
    pub target: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Services {
    pub services: Vec<Service>,
    /// The most recent warnings and errors of every service, newest first (at most 100).
    pub events: Vec<Event>,
}

impl From<info::LogEvent> for Event {
    fn from(e: info::LogEvent) -> Self {
        Event { at: e.at, level: e.level, service: e.service, target: e.target, message: e.message }
    }
}

const CALL_TIMEOUT: Duration = Duration::from_secs(2);

fn timed<T>(msg: T) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.set_timeout(CALL_TIMEOUT);
    r
}

async fn service(name: &'static str, ch: TracedChannel) -> (Service, Vec<info::LogEvent>) {
    let health = super::system::check(name, ch.clone()).await;
    let (mut a, mut b) = (InfoClient::new(ch.clone()), InfoClient::new(ch));
    let (about, events) = futures::join!(
        a.get(timed(info::GetInfoRequest {})),
        b.recent_events(timed(info::RecentEventsRequest { limit: MAX_EVENTS as u32 }))
    );
    let (version, started_at, info_error) = match about {
        Ok(a) => {
            let a = a.into_inner();
            (a.version, a.started_at, None)
        }
        Err(e) => (String::new(), String::new(), Some(e.message().to_owned())),
    };
    let events = events.map(|r| r.into_inner().events).unwrap_or_default();
    let service = Service {
        name: name.to_owned(),
        status: health.status,
        version,
        latency_ms: health.latency_ms,
        started_at,
        error: health.error.or(info_error),
    };
    (service, events)
}

/// Each service's health, version and start time, and the most recent
/// warnings and errors of all of them (this gateway's included).
#[utoipa::path(get, path = "/api/v1/monitor/services", tag = "monitor", security(("bearer_token" = [])),
    responses((status = 200, description = "Services and recent events.", body = Services)))]
pub async fn services(state: web::Data<AppState>, _: Admin) -> HttpResponse {
    let started = Instant::now();
    let b = &state.backends;
    let others = futures::future::join_all([
        service("api", b.api.clone()),
        service("indexer", b.indexer.clone()),
        service("parser", b.parser.clone()),
        service("backup", b.backup.clone()),
    ])
    .await;
    let gateway = Service {
        name: "gateway".into(),
        status: if state.health.report().await.is_ready() { "serving" } else { "not_serving" }.into(),
        version: aidoc_common::VERSION.into(),
        latency_ms: 0.0,
        started_at: chrono::DateTime::<chrono::Utc>::from(state.started_at)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        error: None,
    };
    let mut events: Vec<info::LogEvent> =
        aidoc_common::events::ring().recent(MAX_EVENTS).iter().map(aidoc_common::events::LogEvent::to_proto).collect();
    let mut services = vec![gateway];
    for (s, e) in others {
        services.push(s);
        events.extend(e);
    }
    // RFC 3339 in UTC with the same precision sorts as text.
    events.sort_by(|a, b| b.at.cmp(&a.at));
    events.truncate(MAX_EVENTS);
    tracing::debug!(elapsed_ms = started.elapsed().as_secs_f64() * 1000.0, "monitor services");
    HttpResponse::Ok().json(Services { services, events: events.into_iter().map(Event::from).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_and_days_are_checked_and_named() {
        assert_eq!(bounded("window", None, 3600, 300, 604800).unwrap(), 3600);
        assert_eq!(bounded("window", Some("300"), 3600, 300, 604800).unwrap(), 300);
        assert_eq!(bounded("window", Some("604800"), 3600, 300, 604800).unwrap(), 604800);
        for bad in ["299", "604801", "-5", "abc", "", "3600.5"] {
            let e = bounded("window", Some(bad), 3600, 300, 604800).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument);
            assert!(e.message.contains("`window`"), "{}", e.message);
        }
        assert!(bounded("days", Some("0"), 14, 1, 90).unwrap_err().message.contains("`days`"));
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(1_795_680_060), "2026-11-26T08:01:00Z");
    }
}
