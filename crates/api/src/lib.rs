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
pub mod jobs;
pub mod metrics;
pub mod migrations;
pub mod models;
mod pending;
pub mod schema;
pub mod util;

use aidoc_common::main_support::BoxError;
use aidoc_common::{Runtime, Settings, Shutdown};
use aidoc_proto::api::v1::{
    audit_service_server::AuditServiceServer, catalog_service_server::CatalogServiceServer,
    identity_service_server::IdentityServiceServer, job_service_server::JobServiceServer,
};
use config::ApiConfig;
use futures::FutureExt;
use std::time::Duration;

pub const SERVICE_NAMES: [&str; 4] = [
    "aidoc.api.v1.CatalogService",
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
            loop {
                db::record_pool_metrics(&pool, "primary");
                jobs::record_queue_metrics(&pool).await;
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
        .add_service(IdentityServiceServer::new(pending::Identity))
        .add_service(AuditServiceServer::new(pending::Audit));
    let listener = runtime.bind_main().await?;
    runtime.serve_grpc(listener, routes.routes(), &SERVICE_NAMES).await?;

    metrics_task.abort();
    pool.close();
    tracing::info!("database pool closed");
    runtime.finish().await;
    Ok(())
}

/// Applies the catalog migrations.
pub async fn migrate(settings: &Settings<ApiConfig>) -> Result<Vec<i64>, BoxError> {
    let db = &settings.service.database;
    let mut client = aidoc_common::db::connect(&db.url, db.connect_timeout).await?;
    Ok(aidoc_common::db::migrate(&mut client, "catalog", migrations::MIGRATIONS).await?)
}
