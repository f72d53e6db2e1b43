//! Prometheus metrics shared by every service: the recorder, build info,
//! process metrics and RED (rate, errors, duration) for routes and RPCs.
//! Service-specific metrics live in each crate's own `metrics.rs`.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

pub const BUILD_INFO: &str = "aidoc_build_info";
pub const READY: &str = "aidoc_ready";
pub const HTTP_REQUESTS_TOTAL: &str = "aidoc_http_requests_total";
pub const HTTP_REQUEST_DURATION_SECONDS: &str = "aidoc_http_request_duration_seconds";
pub const GRPC_REQUESTS_TOTAL: &str = "aidoc_grpc_requests_total";
pub const GRPC_REQUEST_DURATION_SECONDS: &str = "aidoc_grpc_request_duration_seconds";
pub const DB_POOL_CONNECTIONS: &str = "aidoc_db_pool_connections";
/// Exported by the process collector (names fixed by the Prometheus convention).
pub const PROCESS_METRICS: [&str; 5] = [
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_open_fds",
    "process_max_fds",
    "process_start_time_seconds",
];

const LATENCY_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
static PROCESS: OnceLock<metrics_process::Collector> = OnceLock::new();

/// The recorder shared by the whole process. Every series gets a `service`
/// label. Installing twice (tests start several services in one process)
/// returns the first handle.
pub fn install(service: &str, version: &str) -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .add_global_label("service", service)
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder is installed, in which case our
            // handle still renders our own registry.
            let _ = metrics::set_global_recorder(recorder);
            let collector = metrics_process::Collector::default();
            collector.describe();
            let _ = PROCESS.set(collector);
            metrics::gauge!(BUILD_INFO, "version" => version.to_owned()).set(1.0);
            metrics::describe_gauge!(BUILD_INFO, "Build information; always 1.");
            metrics::describe_gauge!(READY, "1 when the service reports ready.");
            metrics::describe_counter!(HTTP_REQUESTS_TOTAL, "HTTP requests by route and status.");
            metrics::describe_histogram!(
                HTTP_REQUEST_DURATION_SECONDS,
                metrics::Unit::Seconds,
                "HTTP request latency."
            );
            metrics::describe_counter!(GRPC_REQUESTS_TOTAL, "gRPC calls by method and status code.");
            metrics::describe_histogram!(GRPC_REQUEST_DURATION_SECONDS, metrics::Unit::Seconds, "gRPC call latency.");
            handle
        })
        .clone()
}

/// Prometheus text for `/metrics`, with fresh process figures.
pub fn render(handle: &PrometheusHandle) -> String {
    if let Some(c) = PROCESS.get() {
        c.collect();
    }
    handle.run_upkeep();
    handle.render()
}

/// Records one HTTP request (`route` is the matched pattern, never the raw path).
pub fn record_http(method: &str, route: &str, status: u16, elapsed: Duration) {
    metrics::counter!(HTTP_REQUESTS_TOTAL, "method" => method.to_owned(), "route" => route.to_owned(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!(HTTP_REQUEST_DURATION_SECONDS, "method" => method.to_owned(), "route" => route.to_owned())
        .record(elapsed.as_secs_f64());
}

/// Records one gRPC call (`rpc` is `/package.Service/Method`).
pub fn record_grpc(rpc: &str, code: tonic::Code, elapsed: Duration) {
    metrics::counter!(GRPC_REQUESTS_TOTAL, "rpc" => rpc.to_owned(), "code" => format!("{code:?}")).increment(1);
    metrics::histogram!(GRPC_REQUEST_DURATION_SECONDS, "rpc" => rpc.to_owned()).record(elapsed.as_secs_f64());
}
