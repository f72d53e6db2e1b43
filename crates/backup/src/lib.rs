//! # aidoc-backup
//!
//! Backups that are proven to restore.
//!
//! - `backup`: a logical backup of aidoc's schemas with `pg_dump` (custom format, compressed) streamed through
//!   SHA-256 into the backup store, plus the manifest of every blob the catalog references and a
//!   `backup_info.json` record (versions, row counts and digests of the key tables, sizes, checksums) written last;
//! - `full`: the same plus a checked copy of every referenced blob, so it restores the library on an empty system;
//! - `restore`: checks every checksum before touching anything, refuses a non-empty database unless forced, puts
//!   blobs back, `pg_restore`s, compares the contents with the record and applies this release's migrations;
//! - `verify`: the restore test, into a scratch database; `cleanup`: daily/weekly/monthly retention; `list`;
//! - `export`/`import`: a category or the whole library as a portable archive, imported through aidoc-api's ingest
//!   path so imported documents are parsed and indexed like uploads;
//! - `serve`: a cron scheduler, gRPC admin (trigger, list, status, verify, cleanup), `/health`, `/metrics`.
//!
//! See `docs/operations.md` for the commands and the figures measured for them.

pub mod archive;
pub mod config;
mod create;
pub mod db;
pub mod engine;
pub mod error;
pub mod files;
pub mod layout;
pub mod metrics;
pub mod pgtools;
pub mod progress;
pub mod restore;
pub mod retention;
pub mod service;

use aidoc_common::main_support::BoxError;
use aidoc_common::{Runtime, Settings, Shutdown};
use aidoc_proto::backup::v1 as pb;
use config::BackupServiceConfig;
use futures::FutureExt;
use std::sync::Arc;

pub use engine::Engine;
pub use error::{BackupError, Result};

pub const SERVICE_NAMES: [&str; 1] = ["aidoc.backup.v1.BackupAdmin"];

/// Service mode: admin port, gRPC admin service, scheduler (unless `AIDOC_BACKUP__SCHEDULER=false`).
pub async fn run(settings: Settings<BackupServiceConfig>, shutdown: Shutdown) -> Result<(), BoxError> {
    let cfg = settings.service.clone();
    let runtime = Runtime::start("backup", aidoc_common::VERSION, &settings.base, shutdown).await?;
    metrics::describe();
    let pool = aidoc_common::db::pool(&cfg.database.url, &cfg.database, "aidoc-backup")?;
    {
        let pool = pool.clone();
        runtime.health.add_check("database", move || {
            let pool = pool.clone();
            async move { aidoc_common::db::ping(&pool).await }.boxed()
        });
    }
    let engine = Arc::new(Engine::open(cfg.clone()).await?);
    {
        let target = engine.target.clone();
        runtime.health.add_check("backup_store", move || {
            let target = target.clone();
            async move { target.check().await.map_err(|e| format!("backup store: {e}")) }.boxed()
        });
    }
    let service = Arc::new(service::Service::new(engine, cfg.backup.scheduler)?);
    tracing::info!(
        scheduler = cfg.backup.scheduler,
        schedule = %cfg.backup.schedule,
        restore_test_schedule = %cfg.backup.restore_test_schedule,
        kind = cfg.backup.kind.as_str(),
        target = ?cfg.backup.target.backend,
        "backup service configured"
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let background = tokio::spawn(service.clone().run_background(stop.clone()));

    let mut routes = tonic::service::Routes::builder();
    routes.add_service(pb::backup_admin_server::BackupAdminServer::new(service::Admin(service)));
    let listener = runtime.bind_main().await?;
    let served = runtime.serve_grpc(listener, routes.routes(), &SERVICE_NAMES).await;
    stop.cancel();
    let _ = background.await;
    pool.close();
    runtime.finish().await;
    served?;
    Ok(())
}
