//! Service mode: the scheduler (backup on its cron schedule with retention after each, the restore test on its
//! own), the status it keeps, and the gRPC admin service. Operations run one at a time.

use crate::config::BackupKind;
use crate::engine::Engine;
use crate::error::{BackupError, Result};
use crate::layout::{BackupInfo, Listed};
use aidoc_proto::backup::v1 as pb;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the metrics are re-read from the backup store (backups made by a CronJob or the CLI show up).
const REFRESH_EVERY: Duration = Duration::from_secs(300);

pub struct Service {
    pub engine: Arc<Engine>,
    op: tokio::sync::Mutex<()>,
    status: Mutex<Status>,
    schedules: Option<(cron::Schedule, cron::Schedule)>,
}

#[derive(Default, Clone)]
struct Status {
    last_success_at: Option<DateTime<Utc>>,
    last_failure_at: Option<DateTime<Utc>>,
    last_error: String,
    current: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    Backup,
    RestoreTest,
}

impl Service {
    /// `scheduler`: run the configured schedules (checked by config validation).
    pub fn new(engine: Arc<Engine>, scheduler: bool) -> Result<Service> {
        let schedules = if scheduler {
            let b = &engine.cfg.backup;
            Some((
                b.backup_schedule().map_err(BackupError::Invalid)?,
                b.restore_test_schedule().map_err(BackupError::Invalid)?,
            ))
        } else {
            None
        };
        Ok(Service { engine, op: tokio::sync::Mutex::new(()), status: Mutex::new(Status::default()), schedules })
    }

    fn status(&self) -> std::sync::MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` as the one operation in progress; `wait`: queue behind a running one instead of failing.
    async fn exclusive<T, F>(&self, what: String, wait: bool, f: F) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        let _guard = if wait {
            self.op.lock().await
        } else {
            self.op.try_lock().map_err(|_| BackupError::Busy(self.status().current.clone().unwrap_or_default()))?
        };
        self.status().current = Some(what);
        let result = f.await;
        let mut s = self.status();
        s.current = None;
        match &result {
            Ok(_) => {}
            Err(e) => {
                s.last_failure_at = Some(Utc::now());
                s.last_error = e.to_string();
            }
        }
        result
    }

    /// A backup followed by retention (a failed cleanup does not fail the backup).
    pub async fn backup_and_cleanup(&self, kind: BackupKind, wait: bool) -> Result<BackupInfo> {
        self.exclusive(format!("backup {}", kind.as_str()), wait, async {
            let info = self.engine.backup(kind).await?;
            self.status().last_success_at = Some(info.finished_at);
            if let Err(e) = self.engine.cleanup(false).await {
                tracing::warn!(error = %e, "retention after the backup failed; the backup itself succeeded");
            }
            Ok(info)
        })
        .await
    }

    pub async fn verify(&self, name: &str, wait: bool) -> Result<crate::layout::Verification> {
        self.exclusive(format!("verify {name}"), wait, self.engine.verify(name)).await
    }

    pub async fn cleanup(&self, dry_run: bool) -> Result<crate::retention::CleanupReport> {
        self.exclusive("cleanup".into(), false, self.engine.cleanup(dry_run)).await
    }

    fn next(&self, job: Job, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (backup, restore) = self.schedules.as_ref()?;
        match job {
            Job::Backup => backup.after(&after).next(),
            Job::RestoreTest => restore.after(&after).next(),
        }
    }

    /// The scheduler (when enabled) and the periodic metrics refresh, until `stop`.
    pub async fn run_background(self: Arc<Self>, stop: CancellationToken) {
        let mut refresh = tokio::time::interval(REFRESH_EVERY);
        loop {
            let now = Utc::now();
            let due = [Job::Backup, Job::RestoreTest]
                .into_iter()
                .filter_map(|j| self.next(j, now).map(|t| (t, j)))
                .min_by_key(|(t, _)| *t);
            let sleep = match due {
                Some((t, _)) => (t - now).to_std().unwrap_or_default(),
                None => Duration::from_secs(365 * 24 * 3600),
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = refresh.tick() => {
                    if let Err(e) = self.engine.list_and_refresh().await {
                        tracing::warn!(error = %e, "cannot read the backup store to refresh the metrics");
                    }
                }
                _ = tokio::time::sleep(sleep) => {
                    let Some((_, job)) = due else { continue };
                    tracing::info!(job = ?job, "scheduled run");
                    let run = async {
                        match job {
                            Job::Backup => self.backup_and_cleanup(self.engine.cfg.backup.kind, true).await.map(|_| ()),
                            Job::RestoreTest => self.verify("latest", true).await.map(|_| ()),
                        }
                    };
                    tokio::select! {
                        _ = stop.cancelled() => {
                            tracing::warn!(job = ?job, "stopping: the scheduled run is abandoned (an interrupted backup is never listed as complete)");
                            return;
                        }
                        r = run => if let Err(e) = r { tracing::error!(job = ?job, error = %e, "scheduled run failed") },
                    }
                    // Never fire twice for the same instant.
                    tokio::time::sleep(Duration::from_millis(1100)).await;
                }
            }
        }
    }
}

fn rfc3339(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
}

fn kind_pb(kind: BackupKind) -> pb::BackupKind {
    match kind {
        BackupKind::Database => pb::BackupKind::Database,
        BackupKind::Full => pb::BackupKind::Full,
    }
}

pub fn listed_pb(l: &Listed) -> pb::BackupInfo {
    let info = l.info.as_ref();
    pb::BackupInfo {
        name: l.name.clone(),
        kind: l.kind.map(kind_pb).unwrap_or(pb::BackupKind::Unspecified) as i32,
        created_at: rfc3339(l.created_at),
        size_bytes: info.map(|i| i.size_bytes).unwrap_or(l.stored_bytes),
        duration_ms: info.map(|i| i.duration_ms).unwrap_or_default(),
        verification: l.status().into(),
        row_counts: info.map(|i| i.contents.row_counts.clone().into_iter().collect()).unwrap_or_default(),
        blob_count: info.map(|i| i.contents.blob_count).unwrap_or_default(),
        complete: l.is_complete(),
        verified_at: rfc3339(l.verification.as_ref().map(|v| v.checked_at)),
        problems: l.verification.as_ref().map(|v| v.problems.clone()).unwrap_or_default(),
        aidoc_version: info.map(|i| i.versions.aidoc.clone()).unwrap_or_default(),
        blob_bytes: info.map(|i| i.contents.blob_bytes).unwrap_or_default(),
    }
}

/// The gRPC face of [`Service`].
pub struct Admin(pub Arc<Service>);

#[tonic::async_trait]
impl pb::backup_admin_server::BackupAdmin for Admin {
    async fn trigger(
        &self,
        r: tonic::Request<pb::TriggerRequest>,
    ) -> Result<tonic::Response<pb::BackupInfo>, tonic::Status> {
        let kind = match r.into_inner().kind() {
            pb::BackupKind::Unspecified => self.0.engine.cfg.backup.kind,
            pb::BackupKind::Database => BackupKind::Database,
            pb::BackupKind::Full => BackupKind::Full,
        };
        let info = self.0.backup_and_cleanup(kind, false).await.map_err(|e| e.to_status())?;
        let listing = self.0.engine.list().await.map_err(|e| e.to_status())?;
        let listed = listing.iter().find(|l| l.name == info.name).cloned().unwrap_or(Listed {
            name: info.name.clone(),
            kind: Some(info.kind),
            created_at: Some(info.started_at),
            stored_bytes: info.size_bytes,
            info: Some(info),
            verification: None,
        });
        Ok(tonic::Response::new(listed_pb(&listed)))
    }

    async fn list(
        &self,
        _r: tonic::Request<pb::ListBackupsRequest>,
    ) -> Result<tonic::Response<pb::ListBackupsResponse>, tonic::Status> {
        let listing = self.0.engine.list_and_refresh().await.map_err(|e| e.to_status())?;
        Ok(tonic::Response::new(pb::ListBackupsResponse { backups: listing.iter().map(listed_pb).collect() }))
    }

    async fn status(
        &self,
        _r: tonic::Request<pb::StatusRequest>,
    ) -> Result<tonic::Response<pb::StatusResponse>, tonic::Status> {
        let listing = self.0.engine.list().await.map_err(|e| e.to_status())?;
        let latest = listing.iter().find(|l| l.is_complete());
        let restore_test = listing
            .iter()
            .filter_map(|l| l.verification.as_ref())
            .filter(|v| v.mode == "restore_test")
            .max_by_key(|v| v.checked_at);
        let s = self.0.status().clone();
        let now = Utc::now();
        Ok(tonic::Response::new(pb::StatusResponse {
            last_success_at: rfc3339(latest.and_then(|l| l.info.as_ref().map(|i| i.finished_at)).or(s.last_success_at)),
            last_failure_at: rfc3339(s.last_failure_at),
            last_error: s.last_error,
            next_backup_at: rfc3339(self.0.next(Job::Backup, now)),
            next_restore_test_at: rfc3339(self.0.next(Job::RestoreTest, now)),
            running: s.current.is_some(),
            scheduler_enabled: self.0.schedules.is_some(),
            current_operation: s.current.unwrap_or_default(),
            last_restore_test_at: rfc3339(restore_test.map(|v| v.checked_at)),
            last_restore_test_ok: restore_test.is_some_and(|v| v.ok),
            latest_backup: latest.map(|l| l.name.clone()).unwrap_or_default(),
        }))
    }

    async fn verify(
        &self,
        r: tonic::Request<pb::VerifyRequest>,
    ) -> Result<tonic::Response<pb::VerifyResult>, tonic::Status> {
        let name = r.into_inner().name;
        let name = if name.is_empty() { "latest".to_owned() } else { name };
        let v = self.0.verify(&name, false).await.map_err(|e| e.to_status())?;
        let resolved =
            if name == "latest" { self.0.engine.resolve("latest").await.map(|i| i.name).unwrap_or(name) } else { name };
        Ok(tonic::Response::new(pb::VerifyResult {
            name: resolved,
            ok: v.ok,
            problems: v.problems,
            duration_ms: v.duration_ms,
            warnings: v.warnings,
        }))
    }

    async fn cleanup(
        &self,
        r: tonic::Request<pb::CleanupRequest>,
    ) -> Result<tonic::Response<pb::CleanupResponse>, tonic::Status> {
        let report = self.0.cleanup(r.into_inner().dry_run).await.map_err(|e| e.to_status())?;
        Ok(tonic::Response::new(pb::CleanupResponse {
            deleted: report.plan.delete.iter().chain(&report.plan.delete_incomplete).cloned().collect(),
            kept: report.plan.keep.iter().map(|(n, _)| n.clone()).collect(),
            deleted_bytes: report.deleted_bytes,
        }))
    }
}
