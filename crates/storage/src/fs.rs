//! Objects as files under a root folder.

use crate::key::{TMP_PREFIX, validate_key, validate_prefix};
use crate::{ByteStream, ObjectMeta, ObjectStore, StorageError};
use async_trait::async_trait;
use futures::StreamExt;
use std::io;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

const WRITE_BUFFER: usize = 256 * 1024;
const READ_CHUNK: usize = 64 * 1024;

/// Objects as files under `root`: key `a/b/c` is the file `root/a/b/c`.
///
/// `put` writes to a temporary file (`.aidoc-tmp-…`) in the target folder, syncs it, renames it over the key and
/// syncs the folder, so readers and crashes see the old object or the new one, never a part. Temporary files are
/// removed when a write fails or is cancelled; listings never show them. A key cannot be both an object and the
/// folder of other objects (`a` and `a/b`): the second write fails with an I/O error.
#[derive(Debug, Clone)]
pub struct FsStore {
    root: PathBuf,
}

impl FsStore {
    /// A store under `root`; folders are created when first needed.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FsStore { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf, StorageError> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }
}

/// Removes a temporary file unless disarmed, also when the writing future is dropped half-way.
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn missing(e: &io::Error) -> bool {
    matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory)
}

async fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    let owned = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(&owned)?.sync_all())
        .await
        .map_err(|e| StorageError::io(format!("syncing {}", dir.display()), io::Error::other(e)))?
        .map_err(|e| StorageError::io(format!("syncing {}", dir.display()), e))
}

async fn write_file(path: &Path, mut body: ByteStream) -> Result<u64, StorageError> {
    let ctx = || format!("writing {}", path.display());
    let file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .await
        .map_err(|e| StorageError::io(ctx(), e))?;
    let mut out = tokio::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|source| StorageError::Body { source })?;
        out.write_all(&chunk).await.map_err(|e| StorageError::io(ctx(), e))?;
        written += chunk.len() as u64;
    }
    out.flush().await.map_err(|e| StorageError::io(ctx(), e))?;
    out.into_inner().sync_all().await.map_err(|e| StorageError::io(ctx(), e))?;
    Ok(written)
}

#[async_trait]
impl ObjectStore for FsStore {
    fn backend(&self) -> &'static str {
        "fs"
    }

    async fn put(&self, key: &str, body: ByteStream, _size_hint: Option<u64>) -> Result<u64, StorageError> {
        let path = self.path(key)?;
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| StorageError::io(format!("creating {}", dir.display()), e))?;
        let mut tmp = TempFile(Some(dir.join(format!("{TMP_PREFIX}{}", uuid::Uuid::new_v4().simple()))));
        let tmp_path = tmp.0.clone().unwrap_or_default();
        let written = write_file(&tmp_path, body).await?;
        tokio::fs::rename(&tmp_path, &path)
            .await
            .map_err(|e| StorageError::io(format!("renaming into {}", path.display()), e))?;
        tmp.0 = None;
        sync_dir(&dir).await?;
        Ok(written)
    }

    async fn get(&self, key: &str) -> Result<ByteStream, StorageError> {
        let path = self.path(key)?;
        let not_found = || StorageError::NotFound { key: key.to_string() };
        let file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if missing(&e) => return Err(not_found()),
            Err(e) => return Err(StorageError::io(format!("opening {}", path.display()), e)),
        };
        let meta = file.metadata().await.map_err(|e| StorageError::io(format!("reading {}", path.display()), e))?;
        if !meta.is_file() {
            return Err(not_found());
        }
        Ok(Box::pin(tokio_util::io::ReaderStream::with_capacity(file, READ_CHUNK)))
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        let path = self.path(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok(Some(ObjectMeta { key: key.to_string(), size: m.len() })),
            Ok(_) => Ok(None),
            Err(e) if missing(&e) => Ok(None),
            Err(e) => Err(StorageError::io(format!("reading {}", path.display()), e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if missing(&e) || e.kind() == io::ErrorKind::IsADirectory => Ok(()),
            Err(e) => Err(StorageError::io(format!("removing {}", path.display()), e)),
        }
    }

    async fn rename(&self, from: &str, to: &str) -> Result<(), StorageError> {
        let src = self.path(from)?;
        let dst = self.path(to)?;
        match tokio::fs::metadata(&src).await {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Err(StorageError::NotFound { key: from.to_string() }),
            Err(e) if missing(&e) => return Err(StorageError::NotFound { key: from.to_string() }),
            Err(e) => return Err(StorageError::io(format!("reading {}", src.display()), e)),
        }
        if src == dst {
            return Ok(());
        }
        let dir = dst.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| StorageError::io(format!("creating {}", dir.display()), e))?;
        match tokio::fs::rename(&src, &dst).await {
            Ok(()) => {}
            // Removed by someone else between the check and the rename.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound { key: from.to_string() });
            }
            Err(e) => return Err(StorageError::io(format!("renaming {from} to {to}"), e)),
        }
        sync_dir(&dir).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError> {
        validate_prefix(prefix)?;
        // Start at the deepest folder the prefix names; the rest of the prefix filters names.
        let start = prefix.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
        let mut pending = vec![start.to_string()];
        let mut out = Vec::new();
        while let Some(dir_key) = pending.pop() {
            let dir = if dir_key.is_empty() { self.root.clone() } else { self.root.join(&dir_key) };
            let mut entries = match tokio::fs::read_dir(&dir).await {
                Ok(entries) => entries,
                Err(e) if missing(&e) => continue,
                Err(e) => return Err(StorageError::io(format!("listing {}", dir.display()), e)),
            };
            let ctx = || format!("listing {}", dir.display());
            while let Some(entry) = entries.next_entry().await.map_err(|e| StorageError::io(ctx(), e))? {
                let name = entry.file_name();
                let Some(name) = name.to_str() else {
                    tracing::warn!(path = %entry.path().display(), "skipping a file whose name is not UTF-8");
                    continue;
                };
                if name.starts_with(TMP_PREFIX) {
                    continue;
                }
                let key = if dir_key.is_empty() { name.to_string() } else { format!("{dir_key}/{name}") };
                let kind = entry.file_type().await.map_err(|e| StorageError::io(ctx(), e))?;
                if kind.is_dir() {
                    let as_dir = format!("{key}/");
                    if as_dir.starts_with(prefix) || prefix.starts_with(&as_dir) {
                        pending.push(key);
                    }
                } else if kind.is_file() && key.starts_with(prefix) {
                    match entry.metadata().await {
                        Ok(m) => out.push(ObjectMeta { key, size: m.len() }),
                        Err(e) if missing(&e) => {} // removed while listing
                        Err(e) => return Err(StorageError::io(ctx(), e)),
                    }
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn check(&self) -> Result<(), StorageError> {
        let root = &self.root;
        let ctx = || format!("checking that {} is writable", root.display());
        tokio::fs::create_dir_all(root).await.map_err(|e| StorageError::io(ctx(), e))?;
        let probe = TempFile(Some(root.join(format!("{TMP_PREFIX}check-{}", uuid::Uuid::new_v4().simple()))));
        let path = probe.0.clone().unwrap_or_default();
        tokio::fs::write(&path, b"ok").await.map_err(|e| StorageError::io(ctx(), e))?;
        tokio::fs::remove_file(&path).await.map_err(|e| StorageError::io(ctx(), e))?;
        Ok(())
    }
}
