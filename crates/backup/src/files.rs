//! Streaming helpers over the object stores: hashing while bytes pass, JSON records, checks of stored files.

use crate::error::{BackupError, Result};
use crate::progress::Progress;
use aidoc_storage::{ByteStream, ObjectStore};
use futures::StreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};

/// The SHA-256 and length of the bytes that went through a [`tally`] stream.
#[derive(Clone, Default)]
pub struct Tally(Arc<Mutex<(Sha256, u64)>>);

impl Tally {
    /// Lowercase hex SHA-256 and byte count so far.
    pub fn result(&self) -> (String, u64) {
        let t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (hex::encode(t.0.clone().finalize()), t.1)
    }
}

/// Passes `body` through, hashing and counting it (and advancing `progress` by bytes).
pub fn tally(body: ByteStream, progress: Option<Arc<Progress>>) -> (ByteStream, Tally) {
    let tally = Tally::default();
    let t = tally.clone();
    let stream = body.map(move |chunk| {
        let chunk = chunk?;
        let mut s = t.0.lock().unwrap_or_else(|e| e.into_inner());
        s.0.update(&chunk);
        s.1 += chunk.len() as u64;
        if let Some(p) = &progress {
            p.inc(chunk.len() as u64);
        }
        Ok(chunk)
    });
    (Box::pin(stream), tally)
}

/// Reads an object to the end: (SHA-256, size).
pub async fn hash_object(store: &dyn ObjectStore, key: &str, progress: Option<Arc<Progress>>) -> Result<(String, u64)> {
    let (mut stream, tally) = tally(store.get(key).await?, progress);
    while let Some(chunk) = stream.next().await {
        chunk.map_err(|e| BackupError::io(format!("reading {key}"), e))?;
    }
    Ok(tally.result())
}

pub async fn put_json<T: Serialize>(store: &dyn ObjectStore, key: &str, value: &T) -> Result<u64> {
    let body = serde_json::to_vec_pretty(value).map_err(|e| BackupError::Invalid(format!("encoding {key}: {e}")))?;
    Ok(store.put(key, aidoc_storage::bytes_stream(body), None).await?)
}

/// The parsed record at `key`, `None` when there is none.
pub async fn get_json<T: DeserializeOwned>(store: &dyn ObjectStore, key: &str) -> Result<Option<T>> {
    let body = match store.get(key).await {
        Ok(b) => b,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let bytes = aidoc_storage::collect_bytes(body).await.map_err(|e| BackupError::io(format!("reading {key}"), e))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| BackupError::Invalid(format!("{key} is not a valid record: {e}")))
}

/// Bytes as a hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
