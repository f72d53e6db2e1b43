//! # aidoc-api
//!
//! The catalog service: documents, versions, categories and tags; users,
//! sessions and API keys; the ingest job queue (leases with
//! `FOR UPDATE SKIP LOCKED`); the audit log. It owns the PostgreSQL schema
//! `catalog` and applies its migrations with `aidoc-api migrate`.

pub mod audit;
pub mod blobs;
pub mod catalog;
pub mod config;
pub mod db;
pub mod identity;
pub mod jobs;
pub mod metrics;
pub mod migrations;
pub mod models;
pub mod monitor;
pub mod schema;
pub mod util;

use aidoc_common::main_support::BoxError;
use aidoc_common::{Runtime, Settings, Shutdown};
use aidoc_proto::api::v1::{
    audit_service_server::AuditServiceServer, catalog_service_server::CatalogServiceServer,
    identity_service_server::IdentityServiceServer, job_service_server::JobServiceServer,
    monitor_service_server::MonitorServiceServer,
};
use config::ApiConfig;
use futures::FutureExt;
use std::time::Duration;

pub const SERVICE_NAMES: [&str; 5] = [
    "aidoc.api.v1.CatalogService",
    "aidoc.api.v1.MonitorService",
    "aidoc.api.v1.JobService",
    "aidoc.api.v1.IdentityService",
    "aidoc.api.v1.AuditService",
];

/// Serves the api until `shutdown`, then drains and closes the pool.
pub async fn run(settings: Settings<ApiConfig>, shutdown: Shutdown) -> Result<(), BoxError> {
    let runtime = Runtime::start(
        <ApiConfig as aidoc_common::ServiceConfig>::SERVICE,
        aidoc_common::VERSION,
        &settings.base,
        shutdown,
    )
    .await?;
    let db = settings.service.database.clone();
    metrics::describe();
    let pool = db::pool(&db.url, &db, "aidoc-api")?;
    {
        let pool = pool.clone();
        runtime.health.add_check("database", move || {
            let pool = pool.clone();
            async move { db::ping(&pool).await }.boxed()
        });
    }
    let metrics_task = {
        let pool = pool.clone();
        let stop = runtime.drain_token();
        tokio::spawn(async move {
            for round in 0u64.. {
                db::record_pool_metrics(&pool, "primary");
                if let Some(stats) = jobs::record_queue_metrics(&pool).await
                    && let Err(e) = monitor::sample_queue(&pool, &stats).await
                {
                    tracing::debug!(error = %e, "queue sample not stored");
                }
                // Retention: every 5 minutes (the first round included).
                if round % 60 == 0
                    && let Err(e) = monitor::prune(&pool).await
                {
                    tracing::warn!(error = %e, "old monitor rows not pruned");
                }
                match identity::users::count_active(&pool, chrono::Duration::hours(24)).await {
                    Ok(n) => ::metrics::gauge!(metrics::ACTIVE_USERS).set(n as f64),
                    Err(e) => tracing::debug!(error = %e, "active users not counted"),
                }
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        })
    };

    let mut routes = tonic::service::Routes::builder();
    routes
        .add_service(CatalogServiceServer::new(catalog::Catalog::new(pool.clone(), settings.service.jobs.max_attempts)))
        .add_service(JobServiceServer::new(jobs::Jobs::new(
            pool.clone(),
            settings.service.jobs.retry_backoff,
            settings.service.jobs.max_lease,
        )))
        .add_service(IdentityServiceServer::new(identity::Identity::new(pool.clone(), settings.service.login.clone())))
        .add_service(AuditServiceServer::new(audit::Audit::new(pool.clone())))
        .add_service(MonitorServiceServer::new(monitor::Monitor::new(pool.clone())));
    // Ready only once the first admin exists: a sign-in right after
    // readiness must find it.
    let bootstrapped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let done = bootstrapped.clone();
        runtime.health.add_check("first_admin", move || {
            let done = done.load(std::sync::atomic::Ordering::Acquire);
            async move { if done { Ok(()) } else { Err("first admin: not checked yet".to_owned()) } }.boxed()
        });
    }
    let bootstrap = {
        let (pool, cfg, stop, done) =
            (pool.clone(), settings.service.clone(), runtime.drain_token(), bootstrapped.clone());
        tokio::spawn(async move {
            first_admin(pool, cfg, stop).await;
            done.store(true, std::sync::atomic::Ordering::Release);
        })
    };
    let listener = runtime.bind_main().await?;
    runtime.serve_grpc(listener, routes.routes(), &SERVICE_NAMES).await?;

    metrics_task.abort();
    bootstrap.abort();
    pool.close();
    tracing::info!("database pool closed");
    runtime.finish().await;
    Ok(())
}

/// Creates the first admin when the database has no user, retrying while
/// the database is unreachable (or not migrated yet). A generated password
/// is logged this once.
async fn first_admin(pool: db::PgPool, cfg: ApiConfig, stop: tokio_util::sync::CancellationToken) {
    let mut warned = false;
    loop {
        match identity::users::ensure_admin(&pool, &cfg.admin_username, cfg.admin_password.expose()).await {
            Ok(r) if r.created && !r.generated_password.is_empty() => {
                tracing::warn!(
                    username = %r.username,
                    password = %r.generated_password,
                    "created the first admin with a generated password; it is shown only this once: sign in and change it"
                );
                return;
            }
            Ok(r) if r.created => {
                tracing::info!(username = %r.username, "created the first admin from AIDOC_ADMIN_PASSWORD");
                return;
            }
            Ok(_) => return,
            Err(status) if aidoc_proto::status_code_of(&status) == aidoc_proto::ErrorCode::InvalidArgument => {
                tracing::error!(error = %status.message(), "cannot create the first admin");
                return;
            }
            Err(status) => {
                if !warned {
                    tracing::warn!(error = %status.message(), "cannot check for the first admin yet; retrying");
                    warned = true;
                }
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                }
            }
        }
    }
}

/// Creates the first admin if no user exists (`aidoc-api ensure-admin`).
pub async fn ensure_admin(
    settings: &Settings<ApiConfig>,
) -> Result<aidoc_proto::api::v1::EnsureAdminResponse, BoxError> {
    let cfg = &settings.service;
    let pool = db::pool(&cfg.database.url, &cfg.database, "aidoc-api")?;
    let r = identity::users::ensure_admin(&pool, &cfg.admin_username, cfg.admin_password.expose())
        .await
        .map_err(|s| format!("{}: {}", aidoc_proto::status_code_of(&s), s.message()))?;
    pool.close();
    Ok(r)
}

/// Applies the catalog migrations.
pub async fn migrate(settings: &Settings<ApiConfig>) -> Result<Vec<i64>, BoxError> {
    let db = &settings.service.database;
    let mut client = aidoc_common::db::connect(&db.url, db.connect_timeout).await?;
    Ok(aidoc_common::db::migrate(&mut client, "catalog", migrations::MIGRATIONS).await?)
}
