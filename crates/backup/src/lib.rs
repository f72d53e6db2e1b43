//! # aidoc-backup
//!
//! Scheduled and on-demand backups: `pg_dump` plus a manifest of the
//! referenced blobs, retention, and restores that are verified against the
//! manifest. A CLI for operators and a gRPC admin service.

pub mod config;

use aidoc_common::main_support::BoxError;
use aidoc_common::{Runtime, Settings, Shutdown};
use aidoc_proto::ErrorCode;
use aidoc_proto::backup::v1 as pb;
use config::BackupServiceConfig;
use futures::FutureExt;

pub const SERVICE_NAMES: [&str; 1] = ["aidoc.backup.v1.BackupAdmin"];

/// Backup administration; the backup engine arrives with its own part of
/// the system, so every RPC answers `UNIMPLEMENTED` until then.
#[derive(Debug, Clone, Copy, Default)]
struct Admin;

const WHY: &str = "backups are not available in this release";

#[tonic::async_trait]
impl pb::backup_admin_server::BackupAdmin for Admin {
    async fn trigger(
        &self,
        _r: tonic::Request<pb::TriggerRequest>,
    ) -> Result<tonic::Response<pb::BackupInfo>, tonic::Status> {
        Err(ErrorCode::Unimplemented.status(format!("trigger: {WHY}")))
    }
    async fn list(
        &self,
        _r: tonic::Request<pb::ListBackupsRequest>,
    ) -> Result<tonic::Response<pb::ListBackupsResponse>, tonic::Status> {
        Err(ErrorCode::Unimplemented.status(format!("list: {WHY}")))
    }
    async fn status(
        &self,
        _r: tonic::Request<pb::StatusRequest>,
    ) -> Result<tonic::Response<pb::StatusResponse>, tonic::Status> {
        Err(ErrorCode::Unimplemented.status(format!("status: {WHY}")))
    }
    async fn verify(
        &self,
        _r: tonic::Request<pb::VerifyRequest>,
    ) -> Result<tonic::Response<pb::VerifyResult>, tonic::Status> {
        Err(ErrorCode::Unimplemented.status(format!("verify: {WHY}")))
    }
}

pub async fn run(settings: Settings<BackupServiceConfig>, shutdown: Shutdown) -> Result<(), BoxError> {
    let cfg = &settings.service;
    let runtime = Runtime::start("backup", aidoc_common::VERSION, &settings.base, shutdown).await?;
    let pool = aidoc_common::db::pool(&cfg.database.url, &cfg.database, "aidoc-backup")?;
    {
        let pool = pool.clone();
        runtime.health.add_check("database", move || {
            let pool = pool.clone();
            async move { aidoc_common::db::ping(&pool).await }.boxed()
        });
    }
    let mut routes = tonic::service::Routes::builder();
    routes.add_service(pb::backup_admin_server::BackupAdminServer::new(Admin));
    let listener = runtime.bind_main().await?;
    runtime.serve_grpc(listener, routes.routes(), &SERVICE_NAMES).await?;
    pool.close();
    runtime.finish().await;
    Ok(())
}
