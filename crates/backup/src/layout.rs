//! How a backup lies in the backup store, and the records that describe it.
//!
//! ```text
//! backups/<name>/database.dump        pg_dump custom format (compressed) of the catalog and search schemas
//! backups/<name>/blobs.json           every blob the database references: key, SHA-256, size
//! backups/<name>/blobs/sha256/ab/cd/… full backups: a copy of each of those blobs, under its own key
//! backups/<name>/backup_info.json     written last: versions, row counts, sizes, SHA-256 of the files above
//! backups/<name>/verification.json    the last verification or restore test of this backup
//! ```
//!
//! A backup exists only once `backup_info.json` does: it is written last, in one atomic put (a rename on a
//! folder, a single PUT on S3), so an interrupted run never looks like a usable backup.

use crate::config::BackupKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const ROOT: &str = "backups/";
pub const DUMP: &str = "database.dump";
pub const BLOBS: &str = "blobs.json";
pub const INFO: &str = "backup_info.json";
pub const VERIFICATION: &str = "verification.json";
/// The version of the records below; a newer one is refused with a clear message.
pub const FORMAT: u32 = 1;

/// `20261126T020000Z-full`: sorts by time, says what it holds.
pub fn backup_name(at: DateTime<Utc>, kind: BackupKind) -> String {
    format!("{}-{}", at.format("%Y%m%dT%H%M%SZ"), kind.as_str())
}

/// The time and kind in a backup name, or `None` for anything else under `backups/`.
pub fn parse_name(name: &str) -> Option<(DateTime<Utc>, BackupKind)> {
    let (stamp, kind) = name.split_once('-')?;
    let at = chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok()?.and_utc();
    Some((at, kind.parse().ok()?))
}

pub fn prefix(name: &str) -> String {
    format!("{ROOT}{name}/")
}

pub fn key(name: &str, file: &str) -> String {
    format!("{ROOT}{name}/{file}")
}

/// One file of a backup and its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the backup's folder.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// One blob the database references.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BlobEntry {
    pub key: String,
    pub sha256: String,
    pub size: u64,
}

/// `blobs.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobManifest {
    pub blobs: Vec<BlobEntry>,
}

impl BlobManifest {
    pub fn total_bytes(&self) -> u64 {
        self.blobs.iter().map(|b| b.size).sum()
    }
}

/// Versions of what made the backup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versions {
    pub aidoc: String,
    pub server: String,
    pub pg_dump: String,
    /// Applied migrations per schema, as found in the database.
    pub migrations: BTreeMap<String, Vec<i64>>,
    /// Extensions the schemas need (`vector`, `pg_trgm`) and their versions.
    pub extensions: BTreeMap<String, String>,
}

/// What the database held at the moment of the dump (one snapshot with the dump itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contents {
    /// Rows of each key table.
    pub row_counts: BTreeMap<String, i64>,
    /// Order-independent digests of key tables (documents with their SHA-256, chunks with their text).
    pub digests: BTreeMap<String, String>,
    pub blob_count: u64,
    pub blob_bytes: u64,
}

/// `backup_info.json`: written last; its presence makes a backup complete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupInfo {
    pub format: u32,
    pub name: String,
    pub kind: BackupKind,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// The database name that was dumped (informational).
    pub database: String,
    pub versions: Versions,
    pub contents: Contents,
    /// The dump and the blob manifest; blob copies are checked against the manifest.
    pub files: Vec<FileEntry>,
    /// Every byte of the backup: the files plus the blob copies of a full backup.
    pub size_bytes: u64,
    /// Keys of blobs a full backup could not copy (missing or damaged in the document store).
    #[serde(default)]
    pub uncopied: Vec<String>,
    /// Why, one message per blob.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl BackupInfo {
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|f| f.path == path)
    }
}

/// `verification.json`: the last check of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub checked_at: DateTime<Utc>,
    pub ok: bool,
    /// `restore_test`: restored into a scratch database and compared; `checksums`: files only.
    pub mode: String,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    pub duration_ms: u64,
}

/// A backup as `list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    pub name: String,
    pub kind: Option<BackupKind>,
    pub created_at: Option<DateTime<Utc>>,
    /// Bytes stored under the backup's folder.
    pub stored_bytes: u64,
    /// `None` for an incomplete backup.
    pub info: Option<BackupInfo>,
    pub verification: Option<Verification>,
}

impl Listed {
    pub fn is_complete(&self) -> bool {
        self.info.is_some()
    }

    /// `verified`, `failed`, `unverified` or `incomplete`.
    pub fn status(&self) -> &'static str {
        match (&self.info, &self.verification) {
            (None, _) => "incomplete",
            (Some(_), Some(v)) if v.ok => "verified",
            (Some(_), Some(_)) => "failed",
            (Some(_), None) => "unverified",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_time_and_parse_back() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T02:00:05Z").unwrap().with_timezone(&Utc);
        let name = backup_name(at, BackupKind::Full);
        assert_eq!(name, "20261126T020005Z-full");
        assert_eq!(parse_name(&name), Some((at, BackupKind::Full)));
        assert!(
            backup_name(at, BackupKind::Database) < backup_name(at + chrono::Duration::seconds(1), BackupKind::Full)
        );
        for bad in ["", "full", "20261126-full", "20261126T020005Z-partial", "x20261126T020005Z-full"] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
        assert_eq!(key(&name, INFO), "backups/20261126T020005Z-full/backup_info.json");
    }
}
