//! Logs and traces: `tracing` to stdout as text or JSON, and OpenTelemetry
//! spans exported over OTLP/gRPC when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//! W3C trace context travels in HTTP headers and gRPC metadata (see
//! [`crate::propagation`]), so one request is one trace across services.

use crate::config::{EnvMap, LogConfig, LogFormat};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Keeps the exporter alive; [`Telemetry::shutdown`] flushes pending spans.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log filter {0:?}: {1}")]
    Filter(String, String),
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(String),
    #[error("a global subscriber is already installed")]
    AlreadyInstalled,
}

impl Telemetry {
    /// Installs the global subscriber. `env` supplies `OTEL_EXPORTER_OTLP_ENDPOINT`
    /// and `OTEL_SERVICE_NAME`; `RUST_LOG`, when set, overrides `log.level`.
    /// Must be called inside a Tokio runtime when exporting.
    pub fn init(service: &str, log: &LogConfig, env: &EnvMap) -> Result<Telemetry, TelemetryError> {
        let directive = env.get("RUST_LOG").cloned().unwrap_or_else(|| log.level.clone());
        let filter =
            EnvFilter::try_new(&directive).map_err(|e| TelemetryError::Filter(directive.clone(), e.to_string()))?;

        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

        let provider = match env.get("OTEL_EXPORTER_OTLP_ENDPOINT").filter(|e| !e.is_empty()) {
            Some(endpoint) => {
                let name = env.get("OTEL_SERVICE_NAME").cloned().unwrap_or_else(|| format!("aidoc-{service}"));
                Some(build_provider(endpoint, &name)?)
            }
            None => None,
        };
        let otel_layer =
            provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(format!("aidoc-{service}"))));

        let registry = tracing_subscriber::registry().with(filter).with(otel_layer).with(crate::events::layer(service));
        let result = match log.format {
            LogFormat::Json => registry
                .with(
                    tracing_subscriber::fmt::layer()
                        .json()
                        .flatten_event(true)
                        .with_current_span(true)
                        .with_span_list(false),
                )
                .try_init(),
            LogFormat::Text => registry.with(tracing_subscriber::fmt::layer().with_target(false)).try_init(),
        };
        result.map_err(|_| TelemetryError::AlreadyInstalled)?;
        if let Some(p) = &provider {
            opentelemetry::global::set_tracer_provider(p.clone());
            tracing::info!(
                endpoint = env.get("OTEL_EXPORTER_OTLP_ENDPOINT").map(String::as_str).unwrap_or(""),
                "exporting traces over otlp"
            );
        }
        Ok(Telemetry { provider })
    }

    /// Flushes and stops the exporter. Called last, after the servers stopped.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider {
            if let Err(e) = provider.force_flush() {
                eprintln!("telemetry flush failed: {e}");
            }
            if let Err(e) = provider.shutdown() {
                eprintln!("telemetry shutdown failed: {e}");
            }
        }
    }
}

fn build_provider(endpoint: &str, service_name: &str) -> Result<SdkTracerProvider, TelemetryError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .with_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| TelemetryError::Exporter(e.to_string()))?;
    let resource = opentelemetry_sdk::Resource::builder().with_service_name(service_name.to_owned()).build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}
