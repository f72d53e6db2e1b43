//! # aidoc-gateway
//!
//! The HTTP edge of aidoc: the REST API under `/api/v1`, authentication and
//! rate limits, the MCP endpoint for AI agents, the OpenAPI document and the
//! web UI. It holds no state of its own: everything goes to the api and
//! indexer services over gRPC.

pub mod auth;
pub mod blobs;
pub mod client_ip;
pub mod config;
pub mod dto;
pub mod error;
pub mod headers;
pub mod mcp;
pub mod method;
pub mod metrics;
pub mod monitor;
pub mod observe;
pub mod openapi;
pub mod ratelimit;
pub mod routes;
pub mod sniff;
pub mod state;
pub mod ui;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, web};
use aidoc_common::main_support::BoxError;
use aidoc_common::{Runtime, Settings, Shutdown};
use aidoc_proto::ErrorCode;
use config::GatewayConfig;
use error::ApiError;
use futures::FutureExt;
use state::{AppState, Backends};

/// The application, shared by `run` and the tests.
pub fn create_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let json_limit = state.config.json_limit_bytes();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::JsonConfig::default().limit(json_limit).error_handler(|err, _req| {
            let code = match &err {
                actix_web::error::JsonPayloadError::Overflow { .. }
                | actix_web::error::JsonPayloadError::OverflowKnownLength { .. } => ErrorCode::TooLarge,
                _ => ErrorCode::MalformedBody,
            };
            ApiError::new(code, err.to_string()).into()
        }))
        .app_data(
            web::QueryConfig::default()
                .error_handler(|err, _req| ApiError::new(ErrorCode::InvalidArgument, err.to_string()).into()),
        )
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _req| ApiError::new(ErrorCode::InvalidArgument, err.to_string()).into()),
        )
        // Outermost last: observe → CORS and security headers → authentication.
        .wrap(actix_web::middleware::from_fn(method::json_405))
        .wrap(actix_web::middleware::from_fn(auth::middleware::authenticate))
        .wrap(actix_web::middleware::from_fn(headers::cors_and_security_headers))
        .wrap(actix_web::middleware::from_fn(observe::observe))
        .configure(routes::configure)
        .configure(mcp::configure)
        .default_service(web::to(crate::ui::fallback))
}

/// Serves the gateway until `shutdown`, then drains in-flight requests.
pub async fn run(settings: Settings<GatewayConfig>, shutdown: Shutdown) -> Result<(), BoxError> {
    let cfg = settings.service.clone();
    let runtime = Runtime::start("gateway", aidoc_common::VERSION, &settings.base, shutdown).await?;
    aidoc_common::client::add_peer_check(&runtime.health, "api", &cfg.api_url)?;
    aidoc_common::client::add_peer_check(&runtime.health, "indexer", &cfg.indexer_url)?;
    metrics::describe();
    let store = cfg.storage.open().await.map_err(|e| format!("object storage: {e}"))?;
    {
        let store = store.clone();
        runtime.health.add_check("storage", move || {
            let store = store.clone();
            async move { store.check().await.map_err(|e| format!("storage: {e}")) }.boxed()
        });
    }
    let state = AppState {
        backends: Backends::connect(&cfg)?,
        config: cfg.clone(),
        health: runtime.health.clone(),
        store,
        auth: auth::AuthState::new(&cfg),
        mcp: std::sync::Arc::new(mcp::Sessions::default()),
        monitor: std::sync::Arc::new(monitor::Recorder::default()),
        started_at: runtime.started_at,
    };
    let recorder = state.monitor.clone();
    let monitor_api = state.backends.api.clone();

    let listener = std::net::TcpListener::bind(settings.base.listen_addr)?;
    let addr = listener.local_addr()?;
    let workers = match cfg.gateway.workers {
        0 => std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        n => n as usize,
    };
    let state_for_sweeper = state.clone();
    let server = actix_web::HttpServer::new(move || create_app(state.clone()))
        .workers(workers)
        .disable_signals()
        .shutdown_timeout(settings.base.shutdown_grace.as_secs().max(1))
        .listen(listener)?
        .run();
    let handle = server.handle();
    tracing::info!(%addr, workers, "http port up");
    runtime.health.set_started();

    let sweeper = blobs::spawn_sweeper(state_for_sweeper, runtime.drain_token());
    let flusher = monitor::spawn_flusher(
        recorder.clone(),
        monitor_api.clone(),
        cfg.gateway.monitor_flush_interval,
        runtime.drain_token(),
    );
    let drain = runtime.drain_token();
    let stopper = tokio::spawn(async move {
        drain.cancelled().await;
        // Graceful: stop accepting, let in-flight requests finish.
        handle.stop(true).await;
    });
    server.await?;
    stopper.abort();
    sweeper.abort();
    let _ = flusher.await;
    // The last figures, now that every request has been answered.
    if let Err(s) = monitor::flush(&recorder, monitor_api).await {
        tracing::warn!(error = %s.message(), "the last monitor figures were not delivered");
    }
    tracing::info!("http port drained");
    runtime.finish().await;
    Ok(())
}
