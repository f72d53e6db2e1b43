//! Per-request observability: a request id (kept from `x-request-id` or
//! made), a server span joined to the caller's W3C trace context, RED
//! metrics by matched route, the monitor's figures by route group (see
//! [`crate::monitor`]), and one access-log line.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span = tracing::info_span!(
        "http.server",
        otel.name = tracing::field::Empty,
        otel.kind = "server",
        http.method = %method,
        http.route = tracing::field::Empty,
        http.status_code = tracing::field::Empty,
        request_id = %request_id,
    );
    // Only the W3C headers cross over; actix has its own header types.
    let mut carrier = http::HeaderMap::new();
    for name in ["traceparent", "tracestate"] {
        if let Some(v) = req.headers().get(name).and_then(|v| http::HeaderValue::from_bytes(v.as_bytes()).ok()) {
            carrier.insert(name, v);
        }
    }
    aidoc_common::propagation::set_parent_from(&span, &carrier);

    let recorder = req.app_data::<actix_web::web::Data<crate::state::AppState>>().map(|s| s.monitor.clone());
    let group = crate::monitor::group_of(&path);
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    match result {
        Ok(mut res) => {
            let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
            let status = res.status().as_u16();
            span.record("otel.name", format!("{method} {route}"));
            span.record("http.route", route.as_str());
            span.record("http.status_code", status);
            aidoc_common::metrics::record_http(&method, &route, status, elapsed);
            if let (Some(recorder), Some(group)) = (&recorder, group) {
                let now = std::time::SystemTime::now();
                let principal = res.request().extensions().get::<crate::auth::Principal>().map(|p| p.user_id.clone());
                recorder.request(now, group, status, elapsed, principal.as_deref().filter(|u| !u.is_empty()));
                if route == crate::routes::search::SEARCH_PATH && res.status().is_success() {
                    recorder.search(now);
                }
            }
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                res.headers_mut().insert(HeaderName::from_static(REQUEST_ID), v);
            }
            span.in_scope(|| {
                tracing::info!(method = %method, path = %path, status, duration_ms = elapsed.as_secs_f64() * 1000.0, "request");
            });
            Ok(res)
        }
        Err(e) => {
            aidoc_common::metrics::record_http(&method, "unmatched", 500, elapsed);
            if let (Some(recorder), Some(group)) = (&recorder, group) {
                recorder.request(std::time::SystemTime::now(), group, 500, elapsed, None);
            }
            Err(e)
        }
    }
}
