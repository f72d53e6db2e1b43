//! Objects in an S3-compatible bucket (AWS, MinIO, s3s) through `rust-s3`.

use crate::config::S3Config;
use crate::key::{validate_key, validate_prefix};
use crate::{ByteStream, ObjectMeta, ObjectStore, StorageError};
use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use s3::creds::Credentials;
use s3::error::S3Error;
use s3::{Bucket, BucketConfiguration, Region};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Multipart parts in flight per upload. rust-s3 reads 8 MiB parts, so one upload holds about
/// `(PARTS_IN_FLIGHT + 1) × 8 MiB`.
const PARTS_IN_FLIGHT: usize = 2;
/// Deadline of one ordinary request (rust-s3's default).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Deadline of a streamed download, body included: a slow reader of a large object needs longer.
const STREAM_TIMEOUT: Duration = Duration::from_secs(60 * 60);

/// An S3 bucket. Uploads up to 8 MiB are one PUT, larger ones a multipart upload that rust-s3 aborts when a part
/// or the body fails. `rename` is a server-side copy and a delete (CopyObject: objects up to 5 GiB).
pub struct S3Store {
    bucket: Box<Bucket>,
    streaming: Box<Bucket>,
    endpoint: String,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Not derived: the bucket holds the credentials.
        f.debug_struct("S3Store")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket.name())
            .field("path_style", &self.bucket.is_path_style())
            .finish_non_exhaustive()
    }
}

impl S3Store {
    /// A store on `cfg.bucket`. No request is made: see [`S3Store::ensure_bucket`] and [`ObjectStore::check`].
    /// An empty `endpoint` means AWS in `region`; empty keys mean anonymous requests.
    pub fn new(cfg: &S3Config) -> Result<Self, StorageError> {
        let config_err = |message: String| StorageError::Config { message };
        let endpoint = cfg.endpoint.trim().trim_end_matches('/').to_string();
        let region = if endpoint.is_empty() {
            cfg.region.parse::<Region>().map_err(|e| config_err(format!("S3 region {:?}: {e}", cfg.region)))?
        } else {
            Region::Custom { region: cfg.region.clone(), endpoint: endpoint.clone() }
        };
        let credentials = if cfg.access_key.is_empty() && cfg.secret_key.is_empty() {
            Credentials::anonymous()
        } else {
            Credentials::new(Some(cfg.access_key.expose()), Some(cfg.secret_key.expose()), None, None, None)
        }
        .map_err(|e| config_err(format!("S3 credentials: {e}")))?;
        let mut bucket =
            Bucket::new(&cfg.bucket, region, credentials).map_err(|e| config_err(format!("S3 bucket: {e}")))?;
        if cfg.path_style {
            bucket.set_path_style();
        }
        bucket.set_request_timeout(Some(REQUEST_TIMEOUT));
        let mut streaming = bucket.clone();
        streaming.set_request_timeout(Some(STREAM_TIMEOUT));
        Ok(S3Store { bucket, streaming, endpoint: if endpoint.is_empty() { "aws".into() } else { endpoint } })
    }

    pub fn bucket_name(&self) -> String {
        self.bucket.name()
    }

    /// Creates the bucket when it does not exist yet (local stacks and tests; production buckets are provisioned).
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        match self.probe_bucket().await {
            Ok(()) => return Ok(()),
            Err(S3Error::HttpFailWithBody(404, _)) => {}
            Err(e) => return Err(map_err(e, None)),
        }
        let credentials = self.bucket.credentials().await.map_err(|e| map_err(e, None))?;
        let name = self.bucket.name();
        let region = self.bucket.region();
        let created = if self.bucket.is_path_style() {
            Bucket::create_with_path_style(&name, region, credentials, BucketConfiguration::default()).await
        } else {
            Bucket::create(&name, region, credentials, BucketConfiguration::default()).await
        };
        match created {
            Ok(r) if r.success() => Ok(()),
            Ok(r) => Err(StorageError::Backend {
                message: format!("creating bucket {name}: {}", describe(r.response_code, &r.response_text)),
            }),
            // Created by someone else meanwhile.
            Err(S3Error::HttpFailWithBody(409, body)) if body.contains("BucketAlreadyOwnedByYou") => Ok(()),
            Err(e) => Err(map_err(e, None)),
        }
    }

    /// Lists at most one key: proves the bucket exists and the credentials may read it.
    async fn probe_bucket(&self) -> Result<(), S3Error> {
        self.bucket.list_page(String::new(), None, None, None, Some(1)).await.map(|_| ())
    }
}

/// A readable message from an S3 error response (`<Code>` and `<Message>` of the XML body).
fn describe(status: u16, body: &str) -> String {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(body[start..end].to_string())
    };
    match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => format!("HTTP {status} {code}: {message}"),
        (Some(code), None) => format!("HTTP {status} {code}"),
        _ if body.trim().is_empty() => format!("HTTP {status}"),
        _ => format!("HTTP {status}: {}", body.chars().take(200).collect::<String>()),
    }
}

/// The error and its sources, one line (reqwest hides the cause of a failed connection in `source()`).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

/// Maps a rust-s3 error; `key` turns a 404 into [`StorageError::NotFound`] (unless the bucket is what is missing).
fn map_err(e: S3Error, key: Option<&str>) -> StorageError {
    match e {
        S3Error::HttpFailWithBody(404, body) if !body.contains("NoSuchBucket") && key.is_some() => {
            StorageError::NotFound { key: key.unwrap_or_default().to_string() }
        }
        S3Error::HttpFailWithBody(status @ (401 | 403), body) => {
            StorageError::AccessDenied { message: describe(status, &body) }
        }
        S3Error::HttpFailWithBody(status, body) => StorageError::Backend { message: describe(status, &body) },
        S3Error::Io(source) => StorageError::io("talking to S3", source),
        other => StorageError::Backend { message: chain(&other) },
    }
}

#[async_trait]
impl ObjectStore for S3Store {
    fn backend(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &str, body: ByteStream, _size_hint: Option<u64>) -> Result<u64, StorageError> {
        validate_key(key)?;
        // Keep the body's own error: rust-s3 only reports that reading failed.
        let body_error: Arc<Mutex<Option<io::Error>>> = Arc::default();
        let seen = Arc::clone(&body_error);
        let body = body.map_err(move |e| {
            let copy = io::Error::new(e.kind(), e.to_string());
            seen.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
            copy
        });
        let mut reader = tokio_util::io::StreamReader::new(body);
        let result = self
            .bucket
            .put_object_stream_builder(key)
            .with_max_concurrent_chunks(PARTS_IN_FLIGHT)
            .execute_stream(&mut reader)
            .await;
        let body_error = body_error.lock().unwrap_or_else(|p| p.into_inner()).take();
        match (result, body_error) {
            (_, Some(source)) => Err(StorageError::Body { source }),
            (Ok(r), None) => Ok(r.uploaded_bytes() as u64),
            (Err(e), None) => Err(map_err(e, None)),
        }
    }

    async fn get(&self, key: &str) -> Result<ByteStream, StorageError> {
        validate_key(key)?;
        let response = self.streaming.get_object_stream(key).await.map_err(|e| map_err(e, Some(key)))?;
        Ok(Box::pin(response.bytes.map(|chunk| chunk.map_err(|e| io::Error::other(chain(&e))))))
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StorageError> {
        validate_key(key)?;
        match self.bucket.head_object(key).await {
            Ok((head, _)) => {
                let size = head.content_length.and_then(|n| u64::try_from(n).ok()).ok_or_else(|| {
                    StorageError::Backend { message: format!("HEAD {key}: no Content-Length in the response") }
                })?;
                Ok(Some(ObjectMeta { key: key.to_string(), size }))
            }
            Err(e) => match map_err(e, Some(key)) {
                StorageError::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        validate_key(key)?;
        match self.bucket.delete_object(key).await {
            Ok(_) => Ok(()),
            Err(e) => match map_err(e, Some(key)) {
                StorageError::NotFound { .. } => Ok(()),
                other => Err(other),
            },
        }
    }

    async fn rename(&self, from: &str, to: &str) -> Result<(), StorageError> {
        validate_key(from)?;
        validate_key(to)?;
        if from == to {
            return match self.head(from).await? {
                Some(_) => Ok(()),
                None => Err(StorageError::NotFound { key: from.to_string() }),
            };
        }
        // x-amz-copy-source is sent as given: it must be URL-encoded.
        let source = s3::signing::uri_encode(from, false);
        self.bucket.copy_object_internal(&source, to).await.map_err(|e| map_err(e, Some(from)))?;
        self.delete(from).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StorageError> {
        validate_prefix(prefix)?;
        let pages = self.bucket.list(prefix.to_string(), None).await.map_err(|e| map_err(e, None))?;
        let mut out: Vec<ObjectMeta> = pages
            .into_iter()
            .flat_map(|page| page.contents)
            .map(|object| ObjectMeta { key: object.key, size: object.size })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn check(&self) -> Result<(), StorageError> {
        match self.probe_bucket().await {
            Ok(()) => Ok(()),
            Err(S3Error::HttpFailWithBody(404, body)) => Err(StorageError::Backend {
                message: format!("bucket {} does not exist ({})", self.bucket.name(), describe(404, &body)),
            }),
            Err(e) => Err(map_err(e, None)),
        }
    }
}
