//! Making a backup: one database snapshot for the dump, the blob manifest and the row counts; the dump streamed
//! from `pg_dump` through SHA-256 into the backup store; for a full backup a checked copy of every blob; and
//! `backup_info.json` last.

use crate::config::BackupKind;
use crate::engine::{BLOB_CONCURRENCY, Engine};
use crate::error::{BackupError, Result};
use crate::files::{put_json, sha256_hex, tally};
use crate::layout::{self, BackupInfo, BlobEntry, BlobManifest, FileEntry};
use crate::progress::{Progress, Unit};
use chrono::Utc;
use futures::StreamExt;
use std::sync::Arc;
use std::time::Instant;

impl Engine {
    /// Makes a backup of `kind`; records duration, size or failure in the metrics.
    pub async fn backup(&self, kind: BackupKind) -> Result<BackupInfo> {
        let started = Instant::now();
        let result = self.backup_inner(kind).await;
        crate::metrics::record_duration(kind.as_str(), started.elapsed().as_secs_f64());
        match &result {
            Ok(info) => {
                tracing::info!(backup = %info.name, bytes = info.size_bytes, blobs = info.contents.blob_count, duration_ms = info.duration_ms, "backup complete");
                if let Err(e) = self.list_and_refresh().await {
                    tracing::warn!(error = %e, "could not refresh the backup metrics");
                }
            }
            Err(e) => {
                tracing::error!(kind = kind.as_str(), error = %e, "backup failed");
                crate::metrics::record_failure(kind.as_str());
            }
        }
        result
    }

    async fn backup_inner(&self, kind: BackupKind) -> Result<BackupInfo> {
        let clock = Instant::now();
        let started_at = Utc::now();
        let name = layout::backup_name(started_at, kind);
        if !self.target.list(&layout::prefix(&name)).await?.is_empty() {
            return Err(BackupError::Busy(format!("backup {name} already exists; try again in a second")));
        }
        let pg_dump = self.tools.version("pg_dump").await?;
        tracing::info!(backup = %name, db = ?self.conn, pg_dump = %pg_dump, "backup started");

        // One snapshot for everything the backup records about the database.
        let client = self.connect(&self.conn).await?;
        let snapshot = crate::db::begin_snapshot(&client).await?;
        let mut versions = crate::db::versions(&client).await?;
        versions.pg_dump = pg_dump;
        let mut contents = crate::db::contents(&client).await?;
        let manifest = crate::db::blob_manifest(&client).await?;
        contents.blob_count = manifest.blobs.len() as u64;
        contents.blob_bytes = manifest.total_bytes();
        let dump = self.dump(&name, &snapshot).await;
        // The snapshot may end once pg_dump has its own copy of it; keep it until the dump is done regardless.
        crate::db::end_snapshot(&client).await?;
        let dump = dump?;

        let manifest_bytes =
            serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Invalid(format!("blob manifest: {e}")))?;
        let manifest_entry = FileEntry {
            path: layout::BLOBS.into(),
            size: manifest_bytes.len() as u64,
            sha256: sha256_hex(&manifest_bytes),
        };
        self.target.put(&layout::key(&name, layout::BLOBS), aidoc_storage::bytes_stream(manifest_bytes), None).await?;

        let mut size_bytes = dump.size + manifest_entry.size;
        let (mut uncopied, mut warnings) = (Vec::new(), Vec::new());
        if kind == BackupKind::Full {
            let copied = self.copy_blobs(&name, &manifest).await?;
            size_bytes += copied.bytes;
            uncopied = copied.failed.iter().map(|(k, _)| k.clone()).collect();
            warnings = copied.failed.into_iter().map(|(k, why)| format!("{k}: {why}")).collect();
        }

        let info = BackupInfo {
            format: layout::FORMAT,
            name: name.clone(),
            kind,
            started_at,
            finished_at: Utc::now(),
            duration_ms: clock.elapsed().as_millis() as u64,
            database: self.conn.dbname.clone(),
            versions,
            contents,
            files: vec![dump, manifest_entry],
            size_bytes,
            uncopied,
            warnings,
        };
        for w in &info.warnings {
            tracing::error!(backup = %name, problem = %w, "blob not copied");
        }
        // Last, in one atomic put: from here on the backup exists.
        put_json(&*self.target, &layout::key(&name, layout::INFO), &info).await?;
        Ok(info)
    }

    /// Streams `pg_dump` into `database.dump`; the object is removed when the dump fails.
    async fn dump(&self, name: &str, snapshot: &str) -> Result<FileEntry> {
        let key = layout::key(name, layout::DUMP);
        let dump = self.tools.dump(&self.conn, &crate::db::SCHEMAS, snapshot, self.cfg.backup.compression)?;
        let progress = Arc::new(Progress::new("dumping the database", Unit::Bytes, None));
        let (body, tally) = tally(dump.stdout, Some(progress.clone()));
        let put = self.target.put(&key, body, None).await;
        progress.finish();
        let outcome = match put {
            Ok(_) => dump.finish.wait().await,
            Err(e) => {
                dump.finish.kill().await;
                Err(e.into())
            }
        };
        if let Err(e) = outcome {
            if let Err(cleanup) = self.target.delete(&key).await {
                tracing::warn!(key = %key, error = %cleanup, "could not remove a failed dump");
            }
            return Err(e);
        }
        let (sha256, size) = tally.result();
        Ok(FileEntry { path: layout::DUMP.into(), size, sha256 })
    }

    /// Copies every blob into the backup, checking each against its SHA-256 on the way.
    async fn copy_blobs(&self, name: &str, manifest: &BlobManifest) -> Result<Copied> {
        let progress = Arc::new(Progress::new("copying blobs", Unit::Bytes, Some(manifest.total_bytes())));
        // Futures built first, then polled a few at a time (closures inside stream combinators defeat the
        // compiler's Send proof for the spawned service future).
        let copies: Vec<_> = manifest.blobs.iter().map(|blob| self.copy_blob(name, blob, progress.clone())).collect();
        let results: Vec<(&BlobEntry, Result<Option<String>>)> =
            futures::stream::iter(copies).buffer_unordered(BLOB_CONCURRENCY).collect().await;
        progress.finish();
        let mut copied = Copied::default();
        for (blob, r) in results {
            match r? {
                None => copied.bytes += blob.size,
                Some(why) => copied.failed.push((blob.key.clone(), why)),
            }
        }
        copied.failed.sort();
        Ok(copied)
    }

    /// `Ok(Some(why))` when the document store's copy is missing or damaged; errors of the stores are fatal.
    async fn copy_blob<'b>(
        &self,
        name: &str,
        blob: &'b BlobEntry,
        progress: Arc<Progress>,
    ) -> (&'b BlobEntry, Result<Option<String>>) {
        (blob, self.copy_blob_inner(name, blob, progress).await)
    }

    async fn copy_blob_inner(&self, name: &str, blob: &BlobEntry, progress: Arc<Progress>) -> Result<Option<String>> {
        let source = match self.docs.get(&blob.key).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => return Ok(Some("missing from the document store".into())),
            Err(e) => return Err(e.into()),
        };
        let key = layout::key(name, &blob.key);
        let (body, tally) = tally(source, Some(progress));
        self.target.put(&key, body, Some(blob.size)).await?;
        let (sha, size) = tally.result();
        if sha != blob.sha256 || size != blob.size {
            self.target.delete(&key).await?;
            return Ok(Some(format!(
                "damaged in the document store: {size} bytes with SHA-256 {sha}, the catalog records {} bytes with {}",
                blob.size, blob.sha256
            )));
        }
        Ok(None)
    }
}

#[derive(Default)]
struct Copied {
    bytes: u64,
    failed: Vec<(String, String)>,
}
