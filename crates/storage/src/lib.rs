//! # aidoc-storage
//!
//! Object storage for uploaded documents (and backups) behind one trait, [`ObjectStore`], with two backends:
//!
//! - [`FsStore`]: files under a root folder, written to a temporary file, synced and renamed into place, so a
//!   crash never leaves a half-written object under its final key;
//! - [`S3Store`]: any S3-compatible service (AWS, MinIO, s3s) through `rust-s3`, with multipart uploads for large
//!   bodies.
//!
//! Bodies are streams ([`ByteStream`]) both ways: nothing holds a whole object in memory (S3 multipart uploads
//! hold a few 8 MiB parts at a time). [`put_content_addressed`] stores an upload under the SHA-256 of its bytes,
//! never twice. [`StorageConfig`] selects and opens a backend from a service configuration.

mod config;
mod content;
mod fs;
mod key;
mod s3;
#[cfg(feature = "testing")]
pub mod testing;

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use std::io;
use std::pin::Pin;

pub use config::{Backend, FsConfig, S3Config, StorageConfig};
pub use content::{STAGING_PREFIX, StoredBlob, blob_key, put_content_addressed, staging_age};
pub use fs::FsStore;
pub use key::{MAX_KEY_LEN, validate_key};
pub use s3::S3Store;

/// An object body: chunks of bytes, or the I/O error that ended the stream.
pub type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// A [`ByteStream`] of one chunk (handy for small bodies and tests).
pub fn bytes_stream(body: impl Into<Bytes>) -> ByteStream {
    let body: Bytes = body.into();
    Box::pin(futures::stream::once(async move { Ok(body) }))
}

/// Reads a whole [`ByteStream`] into memory. Only for bodies known to be small.
pub async fn collect_bytes(mut body: ByteStream) -> io::Result<Vec<u8>> {
    use futures::StreamExt;
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

/// What a listing or `head` tells about one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
}

/// Everything that can go wrong with an object store, typed so callers can map it (404, 413, 400, 503, …).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object `{key}` not found")]
    NotFound { key: String },
    #[error("object is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("invalid object key {key:?}: {reason}")]
    InvalidKey { key: String, reason: &'static str },
    /// The body stream handed to `put` failed (the client went away, …): nothing was stored.
    #[error("reading the object body failed: {source}")]
    Body {
        #[source]
        source: io::Error,
    },
    #[error("storage I/O error while {context}: {source}")]
    Io {
        context: String,
        #[source]
        source: io::Error,
    },
    /// The backend refused the credentials or the operation (HTTP 401/403).
    #[error("storage access denied: {message}")]
    AccessDenied { message: String },
    #[error("storage backend error: {message}")]
    Backend { message: String },
    #[error("invalid storage configuration: {message}")]
    Config { message: String },
}

impl StorageError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        StorageError::Io { context: context.into(), source }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, StorageError::NotFound { .. })
    }
}

/// An object store. Keys are `/`-separated relative paths checked by [`validate_key`].
#[async_trait]
pub trait ObjectStore: Send + Sync + std::fmt::Debug {
    /// `"fs"` or `"s3"`.
    fn backend(&self) -> &'static str;

    /// Streams `body` into `key`, replacing any object there, and returns the number of bytes written. The object
    /// appears under `key` only once complete. `size_hint` is advisory.
    async fn put(&self, key: &str, body: ByteStream, size_hint: Option<u64>) -> Result<u64, StorageError>;

    /// Streams the object; [`StorageError::NotFound`] when there is none.
    async fn get(&self, key: &str) -> Result<ByteStream, StorageError>;

    /// The object's size, or `None` when there is none.
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError>;

    /// Removes the object; removing a missing object succeeds.
    async fn delete(&self, key: &str) -> Result<(), StorageError>;

    /// Moves an object to a new key, replacing any object there; [`StorageError::NotFound`] when `from` is missing.
    async fn rename(&self, from: &str, to: &str) -> Result<(), StorageError>;

    /// Every object whose key starts with `prefix` (plain string prefix, not only folders), sorted by key.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError>;

    /// Readiness: the root folder or bucket is there and usable.
    async fn check(&self) -> Result<(), StorageError>;
}
