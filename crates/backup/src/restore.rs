//! Restoring a backup, and the restore test.
//!
//! Every file is checked against `backup_info.json` before anything is touched: the dump while it downloads into
//! the work folder, the blob manifest and (full backups) every blob copy in place. Only then are blobs put back
//! (content-addressed, so this is idempotent and harmless to a running library), the schemas replaced by
//! `pg_restore`, the restored contents compared with the recorded row counts and digests, and this release's
//! migrations applied, so that an older backup comes up on a newer release.

use crate::config::BackupKind;
use crate::engine::{BLOB_CONCURRENCY, Engine};
use crate::error::{BackupError, Result};
use crate::files::{put_json, tally};
use crate::layout::{self, BackupInfo, BlobEntry, BlobManifest, Contents, Verification};
use crate::pgtools::Conn;
use crate::progress::{Progress, Unit};
use aidoc_common::Secret;
use chrono::Utc;
use futures::StreamExt;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncWriteExt;

#[derive(Debug, Clone, Default)]
pub struct RestoreOptions {
    /// Replace a database that holds documents, categories or chunks.
    pub force: bool,
    /// Restore into this database instead of `AIDOC_DATABASE__URL`.
    pub database_url: Option<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RestoreReport {
    pub name: String,
    pub kind: BackupKind,
    pub database: String,
    /// Blobs put back into the document store.
    pub blobs_restored: u64,
    /// Blobs that were already there.
    pub blobs_present: u64,
    /// Referenced blobs that neither the backup nor the document store has.
    pub blobs_missing: Vec<String>,
    /// Migrations applied after the restore (the backup came from an older release).
    pub migrations_applied: Vec<i64>,
    pub duration_ms: u64,
}

impl Engine {
    pub async fn restore(&self, name: &str, opts: &RestoreOptions) -> Result<RestoreReport> {
        let clock = Instant::now();
        let info = self.resolve(name).await?;
        let conn = match &opts.database_url {
            Some(url) => Conn::from_url(url)?,
            None => self.conn.clone(),
        };
        let work = self.work_dir()?;
        let (dump_path, manifest) = self.fetch_and_check(&info, work.path()).await?;

        // Checked: from here on things change. The target is checked before anything is written to it.
        let mut client = self.connect(&conn).await?;
        if !opts.force
            && let Some(reason) = crate::db::non_empty_reason(&client).await?
        {
            return Err(BackupError::TargetNotEmpty(reason));
        }
        let blobs = self.restore_blobs(&info, &manifest).await?;
        let migrations_applied = self.restore_database(&info, &conn, &mut client, &dump_path).await?;
        tracing::info!(backup = %info.name, db = ?conn, blobs_restored = blobs.restored, "restore complete");
        Ok(RestoreReport {
            name: info.name.clone(),
            kind: info.kind,
            database: conn.dbname.clone(),
            blobs_restored: blobs.restored,
            blobs_present: blobs.present,
            blobs_missing: blobs.missing,
            migrations_applied,
            duration_ms: clock.elapsed().as_millis() as u64,
        })
    }

    /// The restore test: checks every file, restores into a scratch database, compares what came back with the
    /// backup's records, applies the migrations, drops the scratch database, and records the result next to the
    /// backup (`verification.json`) and in the metrics.
    pub async fn verify(&self, name: &str) -> Result<Verification> {
        let clock = Instant::now();
        let info = match self.resolve(name).await {
            Ok(info) => info,
            Err(e) => {
                crate::metrics::record_failure("restore_test");
                return Err(e);
            }
        };
        let (problems, warnings) = match self.verify_inner(&info).await {
            Ok(warnings) => (Vec::new(), warnings),
            Err(BackupError::Corrupt { problems, .. } | BackupError::Mismatch { problems, .. }) => {
                (problems, Vec::new())
            }
            Err(e) => (vec![e.to_string()], Vec::new()),
        };
        let v = Verification {
            checked_at: Utc::now(),
            ok: problems.is_empty(),
            mode: "restore_test".into(),
            problems,
            warnings,
            duration_ms: clock.elapsed().as_millis() as u64,
        };
        crate::metrics::record_duration("restore_test", clock.elapsed().as_secs_f64());
        if v.ok {
            tracing::info!(backup = %info.name, duration_ms = v.duration_ms, warnings = v.warnings.len(), "restore test passed");
        } else {
            crate::metrics::record_failure("restore_test");
            tracing::error!(backup = %info.name, problems = ?v.problems, "restore test failed");
        }
        put_json(&*self.target, &layout::key(&info.name, layout::VERIFICATION), &v).await?;
        if let Err(e) = self.list_and_refresh().await {
            tracing::warn!(error = %e, "could not refresh the backup metrics");
        }
        Ok(v)
    }

    /// Warnings (blobs of a database backup that the document store lacks), or the error that failed the test.
    async fn verify_inner(&self, info: &BackupInfo) -> Result<Vec<String>> {
        let work = self.work_dir()?;
        let (dump_path, manifest) = self.fetch_and_check(info, work.path()).await?;
        let mut warnings: Vec<String> = info.warnings.clone();
        if info.kind == BackupKind::Database {
            for b in self.absent_blobs(&manifest.blobs).await? {
                warnings.push(format!("{}: not in the document store; this backup cannot restore it", b.key));
            }
        }
        let scratch = Scratch::create(self).await?;
        let mut client = self.connect(&scratch.conn).await?;
        let restored = self.restore_database(info, &scratch.conn, &mut client, &dump_path).await;
        drop(client);
        scratch.remove(self).await;
        restored?;
        Ok(warnings)
    }

    fn work_dir(&self) -> Result<tempfile::TempDir> {
        let root = self.cfg.backup.work_dir();
        std::fs::create_dir_all(&root).map_err(|e| BackupError::io(format!("creating {}", root.display()), e))?;
        tempfile::Builder::new()
            .prefix("aidoc-restore-")
            .tempdir_in(&root)
            .map_err(|e| BackupError::io(format!("creating a work folder in {}", root.display()), e))
    }

    /// Downloads the dump into `work` while hashing it, then checks every other file. Nothing is changed.
    async fn fetch_and_check(&self, info: &BackupInfo, work: &Path) -> Result<(std::path::PathBuf, BlobManifest)> {
        let entry = info.file(layout::DUMP).ok_or_else(|| BackupError::Corrupt {
            name: info.name.clone(),
            problems: vec!["database.dump: not recorded".into()],
        })?;
        let path = work.join(layout::DUMP);
        let progress = Arc::new(Progress::new("fetching the dump", Unit::Bytes, Some(entry.size)));
        let source = match self.target.get(&layout::key(&info.name, layout::DUMP)).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => {
                return Err(BackupError::Corrupt {
                    name: info.name.clone(),
                    problems: vec!["database.dump: missing".into()],
                });
            }
            Err(e) => return Err(e.into()),
        };
        let (mut body, tally) = tally(source, Some(progress.clone()));
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| BackupError::io(format!("creating {}", path.display()), e))?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| BackupError::io("reading database.dump", e))?;
            file.write_all(&chunk).await.map_err(|e| BackupError::io(format!("writing {}", path.display()), e))?;
        }
        file.flush().await.map_err(|e| BackupError::io(format!("writing {}", path.display()), e))?;
        progress.finish();
        let (sha, size) = tally.result();
        let mut problems = Vec::new();
        if size != entry.size {
            problems.push(format!("database.dump: {size} bytes, the backup recorded {}", entry.size));
        } else if sha != entry.sha256 {
            problems.push(format!("database.dump: SHA-256 {sha} does not match the recorded {}", entry.sha256));
        }
        let manifest = match self.check_files(info, true).await {
            Ok(m) if problems.is_empty() => m,
            Ok(_) => return Err(BackupError::Corrupt { name: info.name.clone(), problems }),
            Err(BackupError::Corrupt { problems: more, .. }) => {
                problems.extend(more);
                return Err(BackupError::Corrupt { name: info.name.clone(), problems });
            }
            Err(e) => return Err(e),
        };
        let unknown = crate::db::unknown_migrations(&info.versions);
        if !unknown.is_empty() {
            return Err(BackupError::Invalid(format!(
                "backup {} comes from a newer aidoc release (migrations {} are unknown here); restore it with that release",
                info.name,
                unknown.join(", ")
            )));
        }
        Ok((path, manifest))
    }

    /// Replaces the schemas with the dump, compares the contents with the backup's records, then migrates.
    async fn restore_database(
        &self,
        info: &BackupInfo,
        conn: &Conn,
        client: &mut tokio_postgres::Client,
        dump: &Path,
    ) -> Result<Vec<i64>> {
        crate::db::drop_schemas(client).await?;
        crate::db::create_extensions(client).await?;
        let t = Instant::now();
        self.tools.restore(conn, dump, self.cfg.backup.restore_jobs).await?;
        tracing::info!(db = ?conn, duration_ms = t.elapsed().as_millis() as u64, "pg_restore done");
        let restored = crate::db::contents(client).await?;
        let problems = compare(&info.contents, &restored);
        if !problems.is_empty() {
            return Err(BackupError::Mismatch { name: info.name.clone(), problems });
        }
        let applied = crate::db::migrate(client).await?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied this release's newer migrations to the restored backup");
        }
        crate::db::analyze(client).await?;
        Ok(applied)
    }

    /// Puts the blobs of a full backup back into the document store (those already there are kept), and finds the
    /// referenced blobs that neither has.
    async fn restore_blobs(&self, info: &BackupInfo, manifest: &BlobManifest) -> Result<RestoredBlobs> {
        let mut out = RestoredBlobs::default();
        let absent = self.absent_blobs(&manifest.blobs).await?;
        out.present = (manifest.blobs.len() - absent.len()) as u64;
        let (copyable, missing): (Vec<&BlobEntry>, Vec<&BlobEntry>) =
            absent.into_iter().partition(|b| info.kind == BackupKind::Full && !info.uncopied.contains(&b.key));
        out.missing = missing.iter().map(|b| b.key.clone()).collect();
        let total = copyable.iter().map(|b| b.size).sum();
        let progress = Arc::new(Progress::new("restoring blobs", Unit::Bytes, Some(total)));
        let copies: Vec<_> =
            copyable.into_iter().map(|blob| self.restore_blob(&info.name, blob, progress.clone())).collect();
        let results: Vec<Result<()>> = futures::stream::iter(copies).buffer_unordered(BLOB_CONCURRENCY).collect().await;
        progress.finish();
        for r in results {
            r?;
            out.restored += 1;
        }
        for key in &out.missing {
            tracing::warn!(key = %key, "a referenced blob is in neither the backup nor the document store");
        }
        Ok(out)
    }

    /// Copies one blob from backup `name` back into the document store, checking it on the way.
    async fn restore_blob(&self, name: &str, blob: &BlobEntry, progress: Arc<Progress>) -> Result<()> {
        let source = self.target.get(&layout::key(name, &blob.key)).await?;
        let (body, tally) = tally(source, Some(progress));
        self.docs.put(&blob.key, body, Some(blob.size)).await?;
        let (sha, size) = tally.result();
        if sha != blob.sha256 || size != blob.size {
            // Checked a moment ago: the backup changed under the restore.
            self.docs.delete(&blob.key).await?;
            return Err(BackupError::Corrupt {
                name: name.to_owned(),
                problems: vec![format!("{}: changed while being restored", blob.key)],
            });
        }
        Ok(())
    }

    async fn head_blob<'b>(&self, blob: &'b BlobEntry) -> (&'b BlobEntry, Result<Option<aidoc_storage::ObjectMeta>>) {
        (blob, self.docs.head(&blob.key).await.map_err(BackupError::from))
    }

    /// The blobs of `blobs` that the document store lacks (or holds with another size).
    async fn absent_blobs<'a>(&self, blobs: &'a [BlobEntry]) -> Result<Vec<&'a BlobEntry>> {
        let heads: Vec<_> = blobs.iter().map(|b| self.head_blob(b)).collect();
        let results: Vec<_> = futures::stream::iter(heads).buffer_unordered(BLOB_CONCURRENCY * 4).collect().await;
        let mut absent = Vec::new();
        for (b, head) in results {
            match head? {
                Some(meta) if meta.size == b.size => {}
                _ => absent.push(b),
            }
        }
        absent.sort();
        Ok(absent)
    }
}

#[derive(Default)]
struct RestoredBlobs {
    restored: u64,
    present: u64,
    missing: Vec<String>,
}

/// Differences between what a backup recorded and what a restore produced.
pub fn compare(expected: &Contents, restored: &Contents) -> Vec<String> {
    let mut problems = Vec::new();
    for (table, n) in &expected.row_counts {
        match restored.row_counts.get(table) {
            Some(m) if m == n => {}
            Some(m) => problems.push(format!("{table}: {m} rows restored, the backup recorded {n}")),
            None => problems.push(format!("{table}: missing after the restore")),
        }
    }
    for (table, d) in &expected.digests {
        match restored.digests.get(table) {
            Some(r) if r == d => {}
            Some(_) => problems.push(format!("{table}: contents differ from the backup (digest mismatch)")),
            None => problems.push(format!("{table}: no digest after the restore")),
        }
    }
    problems
}

/// A scratch database for a restore test: the configured one, or a new database on the main server.
struct Scratch {
    conn: Conn,
    created: bool,
}

impl Scratch {
    async fn create(engine: &Engine) -> Result<Scratch> {
        let url = &engine.cfg.backup.scratch_database_url;
        if !url.is_empty() {
            return Ok(Scratch { conn: Conn::from_url(url)?, created: false });
        }
        let name = format!("aidoc_restore_test_{}", Utc::now().format("%Y%m%d%H%M%S%3f"));
        let admin = engine.connect(&engine.conn).await?;
        admin.batch_execute(&format!("CREATE DATABASE {}", crate::db::ident(&name))).await.map_err(|e| {
            let e = BackupError::from(e);
            BackupError::Database(format!(
                "creating the scratch database {name} ({e}); grant CREATEDB or set AIDOC_BACKUP__SCRATCH_DATABASE_URL"
            ))
        })?;
        tracing::info!(database = %name, "scratch database created");
        Ok(Scratch { conn: engine.conn.with_dbname(&name), created: true })
    }

    async fn remove(self, engine: &Engine) {
        if !self.created {
            return;
        }
        let result = async {
            let admin = engine.connect(&engine.conn).await?;
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", crate::db::ident(&self.conn.dbname)))
                .await?;
            Ok::<_, BackupError>(())
        }
        .await;
        match result {
            Ok(()) => tracing::info!(database = %self.conn.dbname, "scratch database dropped"),
            Err(e) => tracing::warn!(database = %self.conn.dbname, error = %e, "could not drop the scratch database"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_names_every_difference() {
        let mut expected = Contents::default();
        expected.row_counts.insert("catalog.documents".into(), 3);
        expected.row_counts.insert("search.chunks".into(), 10);
        expected.digests.insert("search.chunks".into(), "abc".into());
        let mut restored = expected.clone();
        assert!(compare(&expected, &restored).is_empty());
        restored.row_counts.insert("search.chunks".into(), 9);
        restored.digests.insert("search.chunks".into(), "abd".into());
        restored.row_counts.remove("catalog.documents");
        let problems = compare(&expected, &restored);
        assert_eq!(
            problems,
            vec![
                "catalog.documents: missing after the restore",
                "search.chunks: 9 rows restored, the backup recorded 10",
                "search.chunks: contents differ from the backup (digest mismatch)",
            ]
        );
    }
}
