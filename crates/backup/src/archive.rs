//! A portable library archive: one category (with its sub-categories) or the whole library, as a tar file of
//! `manifest.json` followed by `documents/<sha256>` — documents and their metadata, no internal ids — so a
//! library can move between installations.
//!
//! Import goes through the normal ingest path: each file is checked against its SHA-256, stored content-addressed
//! in the document store and registered with aidoc-api (`CreateDocument` creates the document and its ingest job
//! in one transaction), so the indexer parses and indexes it like an upload. A document whose bytes the target
//! already has is reported as present, not duplicated.

use crate::engine::Engine;
use crate::error::{BackupError, Result};
use crate::progress::{Progress, Unit};
use aidoc_proto::api::v1 as api;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

pub const FORMAT: &str = "aidoc-library-archive";
pub const VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveManifest {
    pub format: String,
    pub version: u32,
    pub exported_at: DateTime<Utc>,
    pub aidoc_version: String,
    /// The exported category path, or empty for the whole library.
    pub scope: Vec<String>,
    pub categories: Vec<ArchivedCategory>,
    pub documents: Vec<ArchivedDocument>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedCategory {
    /// Names from the root down.
    pub path: Vec<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedDocument {
    pub title: String,
    /// `user`, `file` or `document`: only a title the uploader chose is carried over as such.
    pub title_source: String,
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
    pub sha256: String,
    /// Category path (empty: none).
    pub category: Vec<String>,
    pub tags: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// The entry in the archive.
    pub file: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportReport {
    pub documents: u64,
    pub categories: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: Vec<String>,
    pub already_present: Vec<String>,
    pub categories_created: u64,
    /// After `--wait`: documents that ended `ready` and `failed`.
    pub ready: u64,
    pub failed: Vec<String>,
}

/// Splits `A/B` into names.
fn parse_path(p: &str) -> Vec<String> {
    p.split('/').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

impl Engine {
    /// Writes the archive of `category` (a `Parent/Child` path; `None`: everything) to `out`, atomically.
    pub async fn export(&self, category: Option<&str>, out: &Path) -> Result<ExportReport> {
        let manifest = self.export_manifest(category).await?;
        let report = ExportReport {
            documents: manifest.documents.len() as u64,
            categories: manifest.categories.len() as u64,
            bytes: manifest.documents.iter().map(|d| d.size_bytes).sum(),
        };
        let blob_keys = self.export_blob_keys(&manifest).await?;
        let partial = out.with_extension("partial");
        let docs = self.docs.clone();
        let handle = tokio::runtime::Handle::current();
        let progress = Arc::new(Progress::new("exporting documents", Unit::Bytes, Some(report.bytes)));
        let (partial2, progress2) = (partial.clone(), progress.clone());
        let written = tokio::task::spawn_blocking(move || -> Result<()> {
            let file = std::fs::File::create(&partial2)
                .map_err(|e| BackupError::io(format!("creating {}", partial2.display()), e))?;
            let mut tar = tar::Builder::new(std::io::BufWriter::with_capacity(1 << 20, file));
            let io = |e| BackupError::io("writing the archive", e);
            let json = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Invalid(e.to_string()))?;
            tar.append_data(&mut header(json.len() as u64), MANIFEST, json.as_slice()).map_err(io)?;
            for (doc, key) in manifest.documents.iter().zip(blob_keys) {
                let body = handle.block_on(docs.get(&key))?;
                let reader = BlockingStream { handle: handle.clone(), stream: body, chunk: bytes::Bytes::new() };
                let mut hashing =
                    HashingReader { inner: reader, hasher: Sha256::new(), bytes: 0, progress: progress2.clone() };
                tar.append_data(&mut header(doc.size_bytes), &doc.file, &mut hashing).map_err(io)?;
                let sha = hex::encode(hashing.hasher.finalize());
                if sha != doc.sha256 || hashing.bytes != doc.size_bytes {
                    return Err(BackupError::Invalid(format!(
                        "{} ({key}) is damaged in the document store: SHA-256 {sha}, the catalog records {}",
                        doc.file_name, doc.sha256
                    )));
                }
            }
            let mut inner = tar.into_inner().map_err(io)?;
            inner.flush().map_err(io)?;
            inner.get_ref().sync_all().map_err(io)?;
            Ok(())
        })
        .await
        .map_err(|e| BackupError::Invalid(format!("export task: {e}")))?;
        progress.finish();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
        std::fs::rename(&partial, out).map_err(|e| BackupError::io(format!("renaming into {}", out.display()), e))?;
        Ok(report)
    }

    async fn export_manifest(&self, category: Option<&str>) -> Result<ArchiveManifest> {
        let client = self.connect(&self.conn).await?;
        client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await?;
        let cats = client.query("SELECT id, name, description, parent_id FROM catalog.categories", &[]).await?;
        let by_id: HashMap<Uuid, (String, String, Option<Uuid>)> =
            cats.iter().map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3)))).collect();
        let path_of = |mut id: Uuid| {
            let mut path = Vec::new();
            while let Some((name, _, parent)) = by_id.get(&id) {
                path.push(name.clone());
                match parent {
                    Some(p) if path.len() < 64 => id = *p,
                    _ => break,
                }
            }
            path.reverse();
            path
        };
        let paths: HashMap<Uuid, Vec<String>> = by_id.keys().map(|id| (*id, path_of(*id))).collect();
        let scope = category.map(parse_path).unwrap_or_default();
        let lower = |p: &[String]| p.iter().map(|s| s.to_lowercase()).collect::<Vec<_>>();
        let in_scope = |p: &[String]| p.len() >= scope.len() && lower(&p[..scope.len()]) == lower(&scope);
        if !scope.is_empty() && !paths.values().any(|p| lower(p) == lower(&scope)) {
            return Err(BackupError::NotFound(format!("category {:?}", scope.join("/"))));
        }
        let mut categories: Vec<ArchivedCategory> = by_id
            .iter()
            .filter(|(id, _)| in_scope(&paths[*id]))
            .map(|(id, (_, description, _))| ArchivedCategory {
                path: paths[id].clone(),
                description: description.clone(),
            })
            .collect();
        categories.sort_by(|a, b| a.path.cmp(&b.path));

        let rows = client
            .query(
                "SELECT d.id, d.title, d.title_source, d.file_name, d.media_type, d.size_bytes, d.sha256, d.category_id, d.created_at,
                        coalesce(array_agg(t.tag ORDER BY t.tag) FILTER (WHERE t.tag IS NOT NULL), '{}')
                 FROM catalog.documents d LEFT JOIN catalog.document_tags t ON t.document_id = d.id
                 GROUP BY d.id ORDER BY d.created_at, d.id",
                &[],
            )
            .await?;
        client.batch_execute("COMMIT").await?;
        let mut documents = Vec::new();
        for r in rows {
            let category: Vec<String> =
                r.get::<_, Option<Uuid>>(7).and_then(|c| paths.get(&c).cloned()).unwrap_or_default();
            if !scope.is_empty() && !in_scope(&category) {
                continue;
            }
            let sha: String = r.get(6);
            documents.push(ArchivedDocument {
                title: r.get(1),
                title_source: r.get(2),
                file_name: r.get(3),
                media_type: r.get(4),
                size_bytes: r.get::<_, i64>(5).max(0) as u64,
                file: format!("documents/{sha}"),
                sha256: sha,
                category,
                tags: r.get(9),
                created_at: r.get(8),
            });
        }
        Ok(ArchiveManifest {
            format: FORMAT.into(),
            version: VERSION,
            exported_at: Utc::now(),
            aidoc_version: aidoc_common::VERSION.into(),
            scope,
            categories,
            documents,
        })
    }

    async fn export_blob_keys(&self, manifest: &ArchiveManifest) -> Result<Vec<String>> {
        let client = self.connect(&self.conn).await?;
        let shas: Vec<String> = manifest.documents.iter().map(|d| d.sha256.clone()).collect();
        let rows =
            client.query("SELECT sha256, blob_key FROM catalog.documents WHERE sha256 = ANY($1)", &[&shas]).await?;
        let keys: HashMap<String, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
        shas.iter()
            .map(|s| {
                keys.get(s)
                    .cloned()
                    .ok_or_else(|| BackupError::Invalid(format!("document {s} was deleted during the export")))
            })
            .collect()
    }

    /// Imports an archive through aidoc-api; `wait`: until every imported document is `ready` or `failed`.
    pub async fn import(&self, archive: &Path, wait: Option<Duration>) -> Result<ImportReport> {
        if self.cfg.api_url.is_empty() {
            return Err(BackupError::Invalid(
                "AIDOC_API_URL is required to import (documents go through aidoc-api)".into(),
            ));
        }
        let channel = aidoc_common::client::channel(&self.cfg.api_url, &aidoc_common::client::ClientOptions::default())
            .map_err(|e| BackupError::Invalid(e.to_string()))?;
        let mut catalog = api::catalog_service_client::CatalogServiceClient::new(channel);
        let work = tempfile::Builder::new()
            .prefix("aidoc-import-")
            .tempdir_in(self.cfg.backup.work_dir())
            .map_err(|e| BackupError::io("creating the import work folder", e))?;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Entry>>(1);
        let (path, dir) = (archive.to_path_buf(), work.path().to_path_buf());
        let reader = tokio::task::spawn_blocking(move || read_archive(&path, &dir, &tx));

        let manifest = match rx.recv().await {
            Some(Ok(Entry::Manifest(m))) => m,
            Some(Err(e)) => return Err(e),
            _ => {
                return Err(BackupError::Invalid(format!(
                    "{}: no {MANIFEST} at the start; not an aidoc archive",
                    archive.display()
                )));
            }
        };
        if manifest.format != FORMAT || manifest.version > VERSION {
            return Err(BackupError::Invalid(format!(
                "{}: format {} version {}; this release reads {FORMAT} version {VERSION}",
                archive.display(),
                manifest.format,
                manifest.version
            )));
        }
        let mut report = ImportReport::default();
        let mut category_ids = self.ensure_categories(&mut catalog, &manifest.categories, &mut report).await?;
        let by_file: HashMap<&str, &ArchivedDocument> =
            manifest.documents.iter().map(|d| (d.file.as_str(), d)).collect();
        let progress = Progress::new("importing documents", Unit::Items, Some(manifest.documents.len() as u64));
        let mut ids = Vec::new();
        let mut seen = 0usize;
        while let Some(entry) = rx.recv().await {
            let Entry::File { name, path, sha256, size } = entry? else { continue };
            let Some(doc) = by_file.get(name.as_str()) else {
                tracing::warn!(entry = %name, "archive entry not in the manifest: skipped");
                continue;
            };
            if sha256 != doc.sha256 || size != doc.size_bytes {
                return Err(BackupError::Corrupt {
                    name: archive.display().to_string(),
                    problems: vec![format!(
                        "{name}: SHA-256 {sha256} ({size} bytes), the manifest records {} ({} bytes)",
                        doc.sha256, doc.size_bytes
                    )],
                });
            }
            let category_id = if doc.category.is_empty() {
                String::new()
            } else {
                self.category_id(&mut catalog, &doc.category, &mut category_ids, &mut report).await?
            };
            let (id, created) = self.import_one(&mut catalog, doc, &path, category_id).await?;
            let _ = std::fs::remove_file(&path);
            if created {
                report.created.push(id.clone())
            } else {
                report.already_present.push(id.clone())
            }
            ids.push(id);
            seen += 1;
            progress.inc(1);
        }
        progress.finish();
        reader.await.map_err(|e| BackupError::Invalid(format!("archive reader: {e}")))??;
        if seen != manifest.documents.len() {
            return Err(BackupError::Corrupt {
                name: archive.display().to_string(),
                problems: vec![format!(
                    "{} documents in the manifest, {seen} files in the archive (truncated?)",
                    manifest.documents.len()
                )],
            });
        }
        if let Some(timeout) = wait {
            let created = report.created.clone();
            self.wait_settled(&mut catalog, &created, timeout, &mut report).await?;
        }
        Ok(report)
    }

    async fn import_one(
        &self,
        catalog: &mut api::catalog_service_client::CatalogServiceClient<aidoc_common::client::TracedChannel>,
        doc: &ArchivedDocument,
        path: &Path,
        category_id: String,
    ) -> Result<(String, bool)> {
        let file =
            tokio::fs::File::open(path).await.map_err(|e| BackupError::io(format!("opening {}", path.display()), e))?;
        let body: aidoc_storage::ByteStream = Box::pin(tokio_util::io::ReaderStream::new(file));
        let stored = aidoc_storage::put_content_addressed(&*self.docs, body, u64::MAX).await?;
        let request = api::CreateDocumentRequest {
            actor: Some(api::Actor { user_agent: "aidoc-backup import".into(), ..Default::default() }),
            file_name: doc.file_name.clone(),
            media_type: doc.media_type.clone(),
            size_bytes: stored.size,
            sha256: stored.sha256.clone(),
            blob_key: stored.key.clone(),
            // Only a title the uploader chose stays fixed; others are derived again.
            title: if doc.title_source == "user" { doc.title.clone() } else { String::new() },
            category_id,
            tags: doc.tags.clone(),
        };
        match catalog.create_document(request).await {
            Ok(r) => {
                let r = r.into_inner();
                let id = r.document.map(|d| d.id).unwrap_or_default();
                Ok((id, r.created))
            }
            Err(status) => {
                if !stored.already_present
                    && let Err(e) = self.docs.delete(&stored.key).await
                {
                    tracing::warn!(key = %stored.key, error = %e, "could not remove an unused import blob");
                }
                Err(BackupError::Api(format!("registering {}: {}", doc.file_name, status.message())))
            }
        }
    }

    async fn ensure_categories(
        &self,
        catalog: &mut api::catalog_service_client::CatalogServiceClient<aidoc_common::client::TracedChannel>,
        wanted: &[ArchivedCategory],
        report: &mut ImportReport,
    ) -> Result<BTreeMap<Vec<String>, String>> {
        let existing = catalog
            .list_categories(api::ListCategoriesRequest {})
            .await
            .map_err(|s| BackupError::Api(s.message().to_owned()))?
            .into_inner()
            .categories;
        let by_id: HashMap<&str, &api::Category> = existing.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut ids = BTreeMap::new();
        for c in &existing {
            let mut path = vec![c.name.to_lowercase()];
            let mut parent = c.parent_id.as_str();
            while let Some(p) = by_id.get(parent) {
                path.push(p.name.to_lowercase());
                parent = p.parent_id.as_str();
                if path.len() > 64 {
                    break;
                }
            }
            path.reverse();
            ids.insert(path, c.id.clone());
        }
        for c in wanted {
            let _ = self.category_id_described(catalog, &c.path, &c.description, &mut ids, report).await?;
        }
        Ok(ids)
    }

    async fn category_id(
        &self,
        catalog: &mut api::catalog_service_client::CatalogServiceClient<aidoc_common::client::TracedChannel>,
        path: &[String],
        ids: &mut BTreeMap<Vec<String>, String>,
        report: &mut ImportReport,
    ) -> Result<String> {
        self.category_id_described(catalog, path, "", ids, report).await
    }

    /// The id of the category at `path` (names compared case-insensitively), creating what is missing.
    async fn category_id_described(
        &self,
        catalog: &mut api::catalog_service_client::CatalogServiceClient<aidoc_common::client::TracedChannel>,
        path: &[String],
        description: &str,
        ids: &mut BTreeMap<Vec<String>, String>,
        report: &mut ImportReport,
    ) -> Result<String> {
        let mut parent = String::new();
        for depth in 1..=path.len() {
            let key: Vec<String> = path[..depth].iter().map(|s| s.to_lowercase()).collect();
            if let Some(id) = ids.get(&key) {
                parent = id.clone();
                continue;
            }
            let created = catalog
                .create_category(api::CreateCategoryRequest {
                    actor: Some(api::Actor { user_agent: "aidoc-backup import".into(), ..Default::default() }),
                    name: path[depth - 1].clone(),
                    description: if depth == path.len() { description.to_owned() } else { String::new() },
                    parent_id: parent.clone(),
                })
                .await
                .map_err(|s| {
                    BackupError::Api(format!("creating category {}: {}", path[..depth].join("/"), s.message()))
                })?
                .into_inner();
            report.categories_created += 1;
            ids.insert(key, created.id.clone());
            parent = created.id;
        }
        Ok(parent)
    }

    async fn wait_settled(
        &self,
        catalog: &mut api::catalog_service_client::CatalogServiceClient<aidoc_common::client::TracedChannel>,
        ids: &[String],
        timeout: Duration,
        report: &mut ImportReport,
    ) -> Result<()> {
        let started = Instant::now();
        let progress = Progress::new("waiting for indexing", Unit::Items, Some(ids.len() as u64));
        let mut pending: Vec<String> = ids.to_vec();
        while !pending.is_empty() {
            let mut still = Vec::new();
            for id in pending {
                let doc = catalog
                    .get_document(api::GetDocumentRequest { id: id.clone() })
                    .await
                    .map_err(|s| BackupError::Api(s.message().to_owned()))?
                    .into_inner();
                match doc.status() {
                    api::DocumentStatus::Ready => {
                        report.ready += 1;
                        progress.inc(1);
                    }
                    api::DocumentStatus::Failed => {
                        report
                            .failed
                            .push(format!("{} ({}): {}", doc.file_name, doc.failure_code, doc.failure_message));
                        progress.inc(1);
                    }
                    _ => still.push(id),
                }
            }
            pending = still;
            if !pending.is_empty() {
                if started.elapsed() > timeout {
                    return Err(BackupError::Api(format!(
                        "{} imported documents not indexed within {timeout:?}",
                        pending.len()
                    )));
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        progress.finish();
        Ok(())
    }
}

fn header(size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
    progress: Arc<Progress>,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// A [`aidoc_storage::ByteStream`] read from a blocking thread (the tar writer is synchronous).
struct BlockingStream {
    handle: tokio::runtime::Handle,
    stream: aidoc_storage::ByteStream,
    chunk: bytes::Bytes,
}

impl Read for BlockingStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use futures::StreamExt;
        while self.chunk.is_empty() {
            match self.handle.block_on(self.stream.next()) {
                Some(chunk) => self.chunk = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}

enum Entry {
    Manifest(ArchiveManifest),
    File { name: String, path: PathBuf, sha256: String, size: u64 },
}

/// Reads the archive on a blocking thread: the manifest first, then each document into a file in `dir`, hashed.
fn read_archive(archive: &Path, dir: &Path, tx: &tokio::sync::mpsc::Sender<Result<Entry>>) -> Result<()> {
    let send = |e: Result<Entry>| tx.blocking_send(e).is_ok();
    let file =
        std::fs::File::open(archive).map_err(|e| BackupError::io(format!("opening {}", archive.display()), e))?;
    let mut tar = tar::Archive::new(std::io::BufReader::with_capacity(1 << 20, file));
    let io = |e| BackupError::io(format!("reading {}", archive.display()), e);
    for (i, entry) in tar.entries().map_err(io)?.enumerate() {
        let mut entry = entry.map_err(io)?;
        let name = entry.path().map_err(io)?.to_string_lossy().into_owned();
        if i == 0 {
            if name != MANIFEST {
                send(Err(BackupError::Invalid(format!("{}: starts with {name:?}, not {MANIFEST}", archive.display()))));
                return Ok(());
            }
            let mut json = Vec::new();
            entry.read_to_end(&mut json).map_err(io)?;
            let m = serde_json::from_slice(&json).map_err(|e| BackupError::Invalid(format!("{MANIFEST}: {e}")));
            if !send(m.map(Entry::Manifest)) {
                return Ok(());
            }
            continue;
        }
        let Some(sha) =
            name.strip_prefix("documents/").filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            tracing::warn!(entry = %name, "unexpected archive entry: skipped");
            continue;
        };
        let path = dir.join(sha);
        let mut out =
            std::fs::File::create(&path).map_err(|e| BackupError::io(format!("creating {}", path.display()), e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| BackupError::io(format!("writing {}", path.display()), e))?;
            size += n as u64;
        }
        if !send(Ok(Entry::File { name, path, sha256: hex::encode(hasher.finalize()), size })) {
            return Ok(());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_paths() {
        assert_eq!(parse_path(" Ops / Runbooks/"), vec!["Ops", "Runbooks"]);
        assert!(parse_path("").is_empty());
    }
}
