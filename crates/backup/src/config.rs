//! aidoc-backup configuration.
//!
//! Besides the database and the document store (the same `AIDOC_DATABASE__…` and `AIDOC_STORAGE__…` keys every
//! service reads), the `backup` section says where backups go and when they run:
//!
//! - `AIDOC_BACKUP__TARGET__…`: the backup bucket or folder, the same shape as `AIDOC_STORAGE__…`
//!   (`BACKEND=fs|s3`, `FS__ROOT`, `S3__ENDPOINT`, `S3__BUCKET`, `S3__ACCESS_KEY[_FILE]`, …);
//! - `AIDOC_BACKUP__SCHEDULER`: run the schedule in `serve` mode (off for a Kubernetes CronJob or `aidoc up`);
//! - `AIDOC_BACKUP__SCHEDULE`, `AIDOC_BACKUP__RESTORE_TEST_SCHEDULE`: six-field cron expressions in UTC;
//! - `AIDOC_BACKUP__KEEP_DAILY|WEEKLY|MONTHLY`: retention;
//! - `AIDOC_BACKUP__PG_BIN_DIR`: where `pg_dump`/`pg_restore` are (empty: `PATH`);
//! - `AIDOC_BACKUP__WORK_DIR`: local staging for restores (empty: the system temporary folder).

use aidoc_common::Secret;
use aidoc_common::config::{BaseConfig, Environment, ServiceConfig};
use aidoc_common::db::DatabaseConfig;
use aidoc_storage::{Backend, FsConfig, S3Config, StorageConfig};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BackupServiceConfig {
    pub database: DatabaseConfig,
    /// The document store whose blobs full backups copy and restores put back.
    pub storage: StorageConfig,
    /// aidoc-api, for `import` (documents go through the normal ingest path).
    pub api_url: String,
    pub backup: BackupConfig,
}

/// What a scheduled backup copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum BackupKind {
    /// `pg_dump` plus the manifest of the blobs the database references.
    #[default]
    Database,
    /// The same plus a copy of every referenced blob.
    Full,
}

impl BackupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BackupKind::Database => "database",
            BackupKind::Full => "full",
        }
    }
}

impl FromStr for BackupKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "database" => Ok(BackupKind::Database),
            "full" => Ok(BackupKind::Full),
            other => Err(format!("unknown backup kind {other:?} (database or full)")),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Where backups are written (a folder for the embedded default, or an S3 bucket).
    pub target: StorageConfig,
    /// Runs the schedule below in `serve` mode.
    pub scheduler: bool,
    /// When the scheduled backup runs (sec min hour day-of-month month day-of-week, UTC).
    pub schedule: String,
    /// What the scheduled backup copies.
    pub kind: BackupKind,
    /// When the newest backup is restored into a scratch database and checked.
    pub restore_test_schedule: String,
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
    /// Backups without their `backup_info.json` older than this are removed by cleanup (a crashed run).
    #[serde(with = "humantime_serde")]
    pub incomplete_grace: std::time::Duration,
    /// The folder with `pg_dump`, `pg_restore` of the server's major version; empty: found on `PATH`.
    pub pg_bin_dir: PathBuf,
    /// `pg_dump -Z` level (0–9).
    pub compression: u8,
    /// `pg_restore --jobs`.
    pub restore_jobs: u32,
    /// Local staging for restores; empty: the system temporary folder.
    pub work_dir: PathBuf,
    /// Where restore tests restore to; empty: a temporary database on the server of `AIDOC_DATABASE__URL`
    /// (the role needs CREATEDB), dropped afterwards.
    pub scratch_database_url: Secret,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            target: StorageConfig {
                backend: Backend::Fs,
                fs: FsConfig { root: PathBuf::from(".aidoc/backups") },
                s3: S3Config { bucket: "aidoc-backups".into(), ..S3Config::default() },
            },
            scheduler: true,
            schedule: "0 0 2 * * *".into(),
            kind: BackupKind::Full,
            restore_test_schedule: "0 0 4 * * Sun".into(),
            keep_daily: 7,
            keep_weekly: 4,
            keep_monthly: 6,
            incomplete_grace: std::time::Duration::from_secs(24 * 3600),
            pg_bin_dir: PathBuf::new(),
            compression: 6,
            restore_jobs: 2,
            work_dir: PathBuf::new(),
            scratch_database_url: Secret::default(),
        }
    }
}

impl BackupConfig {
    pub fn backup_schedule(&self) -> Result<cron::Schedule, String> {
        parse_schedule(&self.schedule).map_err(|e| format!("AIDOC_BACKUP__SCHEDULE: {e}"))
    }

    pub fn restore_test_schedule(&self) -> Result<cron::Schedule, String> {
        parse_schedule(&self.restore_test_schedule).map_err(|e| format!("AIDOC_BACKUP__RESTORE_TEST_SCHEDULE: {e}"))
    }

    pub fn work_dir(&self) -> PathBuf {
        if self.work_dir.as_os_str().is_empty() { std::env::temp_dir() } else { self.work_dir.clone() }
    }
}

/// A cron expression with seconds: `sec min hour day-of-month month day-of-week [year]`.
pub fn parse_schedule(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    if !(6..=7).contains(&fields) {
        return Err(format!(
            "{expr:?} has {fields} fields; expected 6 (sec min hour day-of-month month day-of-week), e.g. \"0 0 2 * * *\""
        ));
    }
    cron::Schedule::from_str(expr).map_err(|e| format!("{expr:?} is not a valid cron expression: {e}"))
}

impl ServiceConfig for BackupServiceConfig {
    const SERVICE: &'static str = "backup";
    const DEFAULT_LISTEN_PORT: u16 = 50054;
    const DEFAULT_ADMIN_PORT: u16 = 9184;

    fn validate(&self, base: &BaseConfig) -> Vec<String> {
        let production = base.env == Environment::Production;
        let mut p = self.database.problems(production);
        p.extend(self.storage.validate(production));
        // The target has the storage shape: name its own variables in the messages.
        p.extend(
            self.backup
                .target
                .validate(production)
                .into_iter()
                .map(|m| m.replace("AIDOC_STORAGE__", "AIDOC_BACKUP__TARGET__")),
        );
        let b = &self.backup;
        for r in [b.backup_schedule().err(), b.restore_test_schedule().err()].into_iter().flatten() {
            p.push(r);
        }
        if b.keep_daily == 0 {
            p.push("AIDOC_BACKUP__KEEP_DAILY: must be at least 1 (the newest backup is always kept)".into());
        }
        if b.compression > 9 {
            p.push("AIDOC_BACKUP__COMPRESSION: must be 0 to 9".into());
        }
        if b.restore_jobs == 0 {
            p.push("AIDOC_BACKUP__RESTORE_JOBS: must be at least 1".into());
        }
        if !b.scratch_database_url.is_empty()
            && b.scratch_database_url.expose().parse::<tokio_postgres::Config>().is_err()
        {
            p.push("AIDOC_BACKUP__SCRATCH_DATABASE_URL: not a valid postgres:// URL".into());
        }
        let api_url_ok =
            self.api_url.is_empty() || self.api_url.starts_with("http://") || self.api_url.starts_with("https://");
        if !api_url_ok {
            p.push("AIDOC_API_URL: must be an http:// or https:// URL".into());
        }
        let same_place = match (self.storage.backend, b.target.backend) {
            (Backend::Fs, Backend::Fs) => self.storage.fs.root == b.target.fs.root,
            (Backend::S3, Backend::S3) => {
                self.storage.s3.endpoint == b.target.s3.endpoint && self.storage.s3.bucket == b.target.s3.bucket
            }
            _ => false,
        };
        if same_place {
            p.push(
                "AIDOC_BACKUP__TARGET__…: backups must not go to the document store itself (use another folder or bucket)"
                    .into(),
            );
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aidoc_common::config::{EnvMap, load};

    fn env(pairs: &[(&str, &str)]) -> EnvMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_need_only_a_database_and_schedule_daily_and_weekly() {
        let s = load::<BackupServiceConfig>(&env(&[("DATABASE_URL", "postgres://u:p@h/db")])).expect("loads");
        let b = &s.service.backup;
        assert_eq!(b.target.backend, Backend::Fs);
        assert_eq!(b.target.fs.root, PathBuf::from(".aidoc/backups"));
        assert_eq!(b.target.s3.bucket, "aidoc-backups");
        assert!(b.scheduler);
        assert_eq!((b.keep_daily, b.keep_weekly, b.keep_monthly), (7, 4, 6));
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-26T01:30:00Z").unwrap().with_timezone(&chrono::Utc);
        let next = b.backup_schedule().unwrap().after(&start).next().unwrap();
        assert_eq!(next.to_rfc3339(), "2026-11-26T02:00:00+00:00");
        // 2026-11-26 is a Thursday: the restore test runs on Sunday the 29th at 04:00.
        let next = b.restore_test_schedule().unwrap().after(&start).next().unwrap();
        assert_eq!(next.to_rfc3339(), "2026-11-29T04:00:00+00:00");
    }

    #[test]
    fn target_keys_are_nested_and_secrets_come_from_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("key");
        std::fs::write(&secret, "from-a-file\n").unwrap();
        let s = load::<BackupServiceConfig>(&env(&[
            ("DATABASE_URL", "postgres://u:p@h/db"),
            ("AIDOC_BACKUP__TARGET__BACKEND", "s3"),
            ("AIDOC_BACKUP__TARGET__S3__ENDPOINT", "http://minio:9000"),
            ("AIDOC_BACKUP__TARGET__S3__ACCESS_KEY", "access"),
            ("AIDOC_BACKUP__TARGET__S3__SECRET_KEY_FILE", secret.to_str().unwrap()),
            ("AIDOC_BACKUP__SCHEDULER", "false"),
            ("AIDOC_BACKUP__KIND", "database"),
            ("AIDOC_BACKUP__KEEP_WEEKLY", "8"),
        ]))
        .expect("loads");
        let b = &s.service.backup;
        assert_eq!(b.target.backend, Backend::S3);
        assert_eq!(b.target.s3.bucket, "aidoc-backups");
        assert_eq!(b.target.s3.secret_key.expose(), "from-a-file");
        assert!(!b.scheduler);
        assert_eq!(b.kind, BackupKind::Database);
        assert_eq!(b.keep_weekly, 8);
    }

    #[test]
    fn every_problem_names_its_variable() {
        let err = load::<BackupServiceConfig>(&env(&[
            ("DATABASE_URL", "postgres://u:p@h/db"),
            ("AIDOC_BACKUP__SCHEDULE", "0 2 * * *"),
            ("AIDOC_BACKUP__RESTORE_TEST_SCHEDULE", "0 0 4 * * Funday"),
            ("AIDOC_BACKUP__KEEP_DAILY", "0"),
            ("AIDOC_BACKUP__COMPRESSION", "11"),
            ("AIDOC_BACKUP__TARGET__BACKEND", "s3"),
            ("AIDOC_BACKUP__TARGET__S3__BUCKET", "Bad_Bucket"),
        ]))
        .expect_err("refused");
        let text = err.to_string();
        for var in [
            "AIDOC_BACKUP__SCHEDULE: \"0 2 * * *\" has 5 fields",
            "AIDOC_BACKUP__RESTORE_TEST_SCHEDULE",
            "AIDOC_BACKUP__KEEP_DAILY",
            "AIDOC_BACKUP__COMPRESSION",
            "AIDOC_BACKUP__TARGET__S3__BUCKET",
        ] {
            assert!(text.contains(var), "{var} missing from {text}");
        }
    }

    #[test]
    fn backups_never_go_into_the_document_store() {
        let err = load::<BackupServiceConfig>(&env(&[
            ("DATABASE_URL", "postgres://u:p@h/db"),
            ("AIDOC_STORAGE__FS__ROOT", "/data/objects"),
            ("AIDOC_BACKUP__TARGET__FS__ROOT", "/data/objects"),
        ]))
        .expect_err("refused");
        assert!(err.to_string().contains("must not go to the document store"), "{err}");
    }
}
