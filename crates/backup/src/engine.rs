//! The backup engine: what the CLI commands, the scheduler and the admin service all call.

use crate::config::BackupServiceConfig;
use crate::error::{BackupError, Result};
use crate::files::{get_json, hash_object};
use crate::layout::{self, BackupInfo, BlobEntry, BlobManifest, Listed, Verification};
use crate::pgtools::{Conn, PgTools};
use crate::progress::{Progress, Unit};
use aidoc_storage::ObjectStore;
use futures::StreamExt;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How many blobs are copied or checked at once.
pub(crate) const BLOB_CONCURRENCY: usize = 4;

pub struct Engine {
    pub cfg: BackupServiceConfig,
    /// The backup bucket or folder.
    pub target: Arc<dyn ObjectStore>,
    /// The document store.
    pub docs: Arc<dyn ObjectStore>,
    pub tools: PgTools,
    pub conn: Conn,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("target", &self.target)
            .field("docs", &self.docs)
            .field("db", &self.conn)
            .finish()
    }
}

impl Engine {
    /// Opens both stores (creating an fs root, or an S3 bucket when missing for local stacks).
    pub async fn open(cfg: BackupServiceConfig) -> Result<Engine> {
        let target = open_store(&cfg.backup.target).await?;
        let docs = open_store(&cfg.storage).await?;
        let conn = Conn::from_url(&cfg.database.url)?;
        let tools = PgTools::new(&cfg.backup.pg_bin_dir);
        Ok(Engine { cfg, target, docs, tools, conn })
    }

    pub(crate) async fn connect(&self, conn: &Conn) -> Result<tokio_postgres::Client> {
        Ok(aidoc_common::db::connect(&conn.url(), self.cfg.database.connect_timeout.max(Duration::from_secs(5)))
            .await?)
    }

    /// Every backup in the store, newest first, complete or not, with its last verification.
    pub async fn list(&self) -> Result<Vec<Listed>> {
        let objects = self.target.list(layout::ROOT).await?;
        let mut sizes: BTreeMap<String, (u64, bool)> = BTreeMap::new();
        for o in &objects {
            let Some(rest) = o.key.strip_prefix(layout::ROOT) else { continue };
            let Some((name, file)) = rest.split_once('/') else { continue };
            let entry = sizes.entry(name.to_owned()).or_default();
            entry.0 += o.size;
            entry.1 |= file == layout::INFO;
        }
        let mut out = Vec::with_capacity(sizes.len());
        for (name, (stored_bytes, has_info)) in sizes {
            let parsed = layout::parse_name(&name);
            let info: Option<BackupInfo> = if has_info {
                match get_json(&*self.target, &layout::key(&name, layout::INFO)).await {
                    Ok(info) => info,
                    Err(e) => {
                        tracing::warn!(backup = %name, error = %e, "unreadable backup_info.json: listed as incomplete");
                        None
                    }
                }
            } else {
                None
            };
            let verification: Option<Verification> =
                get_json(&*self.target, &layout::key(&name, layout::VERIFICATION)).await.unwrap_or(None);
            out.push(Listed {
                kind: info.as_ref().map(|i| i.kind).or(parsed.map(|p| p.1)),
                created_at: info.as_ref().map(|i| i.started_at).or(parsed.map(|p| p.0)),
                name,
                stored_bytes,
                info,
                verification,
            });
        }
        out.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.name.cmp(&a.name)));
        Ok(out)
    }

    /// Lists and refreshes the metrics from what is stored.
    pub async fn list_and_refresh(&self) -> Result<Vec<Listed>> {
        let listing = self.list().await?;
        crate::metrics::refresh(&listing);
        Ok(listing)
    }

    /// The backup `name` (`latest`: the newest complete one) and its `backup_info.json`. An interrupted backup is
    /// refused as [`BackupError::Incomplete`].
    pub async fn resolve(&self, name: &str) -> Result<BackupInfo> {
        if name == "latest" {
            return self
                .list()
                .await?
                .into_iter()
                .find_map(|l| l.info)
                .ok_or_else(|| BackupError::NotFound("latest (there is no complete backup)".into()));
        }
        if name.is_empty() || name.contains('/') || name.starts_with('.') {
            return Err(BackupError::Invalid(format!("{name:?} is not a backup name")));
        }
        let info: Option<BackupInfo> = get_json(&*self.target, &layout::key(name, layout::INFO)).await?;
        match info {
            Some(info) if info.format > layout::FORMAT => Err(BackupError::Invalid(format!(
                "backup {name:?} has format {} and was made by a newer aidoc release; this release reads format {}",
                info.format,
                layout::FORMAT
            ))),
            Some(info) => Ok(info),
            None if !self.target.list(&layout::prefix(name)).await?.is_empty() => {
                Err(BackupError::Incomplete(name.to_owned()))
            }
            None => Err(BackupError::NotFound(name.to_owned())),
        }
    }

    /// Checks every file of a backup against its recorded size and SHA-256, and (for a full backup) every blob
    /// copy against the blob manifest. The dump is checked by the caller while it downloads it (`skip_dump`).
    /// Returns the manifest, or [`BackupError::Corrupt`] listing every problem.
    pub async fn check_files(&self, info: &BackupInfo, skip_dump: bool) -> Result<BlobManifest> {
        let name = &info.name;
        let mut problems = Vec::new();
        for f in &info.files {
            if skip_dump && f.path == layout::DUMP {
                continue;
            }
            let key = layout::key(name, &f.path);
            let progress = Arc::new(Progress::new(&format!("checking {}", f.path), Unit::Bytes, Some(f.size)));
            match hash_object(&*self.target, &key, Some(progress.clone())).await {
                Ok((sha, size)) => {
                    if size != f.size {
                        problems.push(format!("{}: {size} bytes, the backup recorded {}", f.path, f.size));
                    } else if sha != f.sha256 {
                        problems.push(format!("{}: SHA-256 {sha} does not match the recorded {}", f.path, f.sha256));
                    }
                }
                Err(BackupError::Storage(e)) if e.is_not_found() => problems.push(format!("{}: missing", f.path)),
                Err(e) => return Err(e),
            }
            progress.finish();
        }
        for required in [layout::DUMP, layout::BLOBS] {
            if info.file(required).is_none() {
                problems.push(format!("{required}: not recorded in backup_info.json"));
            }
        }
        if !problems.is_empty() {
            return Err(BackupError::Corrupt { name: name.clone(), problems });
        }
        let manifest: BlobManifest = get_json(&*self.target, &layout::key(name, layout::BLOBS))
            .await?
            .ok_or_else(|| BackupError::Corrupt { name: name.clone(), problems: vec!["blobs.json: missing".into()] })?;
        if info.kind == crate::config::BackupKind::Full {
            problems.extend(self.check_blob_copies(info, &manifest).await?);
        }
        if problems.is_empty() { Ok(manifest) } else { Err(BackupError::Corrupt { name: name.clone(), problems }) }
    }

    async fn check_blob_copies(&self, info: &BackupInfo, manifest: &BlobManifest) -> Result<Vec<String>> {
        let progress = Arc::new(Progress::new("checking blob copies", Unit::Bytes, Some(manifest.total_bytes())));
        let uncopied: std::collections::BTreeSet<&str> = info.uncopied.iter().map(String::as_str).collect();
        let checks: Vec<_> = manifest
            .blobs
            .iter()
            .filter(|b| !uncopied.contains(b.key.as_str()))
            .map(|blob| self.check_blob_copy(&info.name, blob, progress.clone()))
            .collect();
        let results: Vec<Result<Option<String>>> =
            futures::stream::iter(checks).buffer_unordered(BLOB_CONCURRENCY).collect().await;
        progress.finish();
        let mut problems = Vec::new();
        for r in results {
            if let Some(p) = r? {
                problems.push(p);
            }
        }
        problems.sort();
        Ok(problems)
    }

    /// `Some(problem)` when the copy of `blob` in backup `name` is missing or differs.
    async fn check_blob_copy(&self, name: &str, blob: &BlobEntry, progress: Arc<Progress>) -> Result<Option<String>> {
        let key = layout::key(name, &blob.key);
        match hash_object(&*self.target, &key, Some(progress)).await {
            Ok((sha, size)) if sha == blob.sha256 && size == blob.size => Ok(None),
            Ok((sha, size)) => Ok(Some(format!(
                "{}: {size} bytes with SHA-256 {sha}, expected {} bytes with {}",
                blob.key, blob.size, blob.sha256
            ))),
            Err(BackupError::Storage(e)) if e.is_not_found() => Ok(Some(format!("{}: copy missing", blob.key))),
            Err(e) => Err(e),
        }
    }

    /// Deletes every object of a backup; `backup_info.json` goes first so that a half-deleted backup is never
    /// taken for a complete one.
    pub async fn delete_backup(&self, name: &str) -> Result<u64> {
        self.target.delete(&layout::key(name, layout::INFO)).await?;
        let objects = self.target.list(&layout::prefix(name)).await?;
        let mut bytes = 0;
        for o in objects {
            self.target.delete(&o.key).await?;
            bytes += o.size;
        }
        Ok(bytes)
    }
}

async fn open_store(cfg: &aidoc_storage::StorageConfig) -> Result<Arc<dyn ObjectStore>> {
    if cfg.backend == aidoc_storage::Backend::S3 {
        let s3 = aidoc_storage::S3Store::new(&cfg.s3)?;
        if let Err(e) = s3.ensure_bucket().await {
            tracing::warn!(bucket = %cfg.s3.bucket, error = %e, "could not make sure the bucket exists");
        }
        return Ok(Arc::new(s3));
    }
    Ok(cfg.open().await?)
}
