//! Content-addressed uploads: the key of a stored body is the SHA-256 of its bytes.

use crate::{ByteStream, ObjectStore, StorageError};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::io;
use std::sync::{Arc, Mutex};

/// Where [`put_content_addressed`] left an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBlob {
    /// [`blob_key`] of `sha256`.
    pub key: String,
    /// Lowercase hex SHA-256 of the bytes.
    pub sha256: String,
    pub size: u64,
    /// The same bytes were already stored; this upload was discarded.
    pub already_present: bool,
}

/// The key of a blob: `blobs/sha256/ab/cd/<full hex>` (two levels of fan-out keep folders small).
pub fn blob_key(sha256_hex: &str) -> String {
    let hex = sha256_hex.to_ascii_lowercase();
    let a = hex.get(..2).unwrap_or("00");
    let b = hex.get(2..4).unwrap_or("00");
    format!("blobs/sha256/{a}/{b}/{hex}")
}

struct Tally {
    hasher: Sha256,
    bytes: u64,
    exceeded: bool,
}

/// Where uploads land before their digest is known.
pub const STAGING_PREFIX: &str = "staging/";

/// How long ago the staging object `key` was started, from the time in its
/// name; `None` for a key that is not a staging name written by this crate.
pub fn staging_age(key: &str, now: std::time::SystemTime) -> Option<std::time::Duration> {
    let id = uuid::Uuid::parse_str(key.strip_prefix(STAGING_PREFIX)?).ok()?;
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    let started = std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos);
    Some(now.duration_since(started).unwrap_or_default())
}

/// Streams `body` into a staging object (`staging/<uuid>`) while hashing and counting it, then moves it to
/// [`blob_key`] of its SHA-256, or drops it when that blob already exists. More than `max_bytes` bytes abort the
/// upload with [`StorageError::TooLarge`]. On any error the staging object is removed (best effort).
///
/// Two concurrent uploads of the same new bytes both report `already_present: false`; the second rename replaces
/// the first object with identical bytes.
pub async fn put_content_addressed(
    store: &dyn ObjectStore,
    body: ByteStream,
    max_bytes: u64,
) -> Result<StoredBlob, StorageError> {
    // Time-ordered names: a sweep can tell a stale leftover from an upload in progress.
    let staging = format!("{STAGING_PREFIX}{}", uuid::Uuid::now_v7());
    let tally = Arc::new(Mutex::new(Tally { hasher: Sha256::new(), bytes: 0, exceeded: false }));
    let counted: ByteStream = {
        let tally = Arc::clone(&tally);
        Box::pin(body.map(move |chunk| {
            let chunk = chunk?;
            let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
            if t.exceeded {
                return Err(too_large_io(max_bytes));
            }
            t.bytes += chunk.len() as u64;
            if t.bytes > max_bytes {
                t.exceeded = true;
                return Err(too_large_io(max_bytes));
            }
            t.hasher.update(&chunk);
            Ok(chunk)
        }))
    };

    let put = store.put(&staging, counted, None).await;
    let (exceeded, bytes, sha256) = {
        let mut t = tally.lock().unwrap_or_else(|e| e.into_inner());
        let hasher = std::mem::take(&mut t.hasher);
        (t.exceeded, t.bytes, hex::encode(hasher.finalize()))
    };
    let written = match put {
        Ok(_) if exceeded => return Err(discard(store, &staging, StorageError::TooLarge { limit: max_bytes }).await),
        Ok(written) => written,
        Err(_) if exceeded => return Err(discard(store, &staging, StorageError::TooLarge { limit: max_bytes }).await),
        Err(e) => return Err(discard(store, &staging, e).await),
    };
    if written != bytes {
        let e = StorageError::Backend { message: format!("stored {written} bytes of a {bytes}-byte body") };
        return Err(discard(store, &staging, e).await);
    }

    let key = blob_key(&sha256);
    let commit = async {
        match store.head(&key).await? {
            // Same hash and size: the same bytes. A different size means a damaged copy: replace it.
            Some(meta) if meta.size == bytes => {
                store.delete(&staging).await?;
                Ok(true)
            }
            _ => {
                store.rename(&staging, &key).await?;
                Ok(false)
            }
        }
    };
    match commit.await {
        Ok(already_present) => Ok(StoredBlob { key, sha256, size: bytes, already_present }),
        Err(e) => Err(discard(store, &staging, e).await),
    }
}

fn too_large_io(limit: u64) -> io::Error {
    io::Error::other(format!("the body is larger than the limit of {limit} bytes"))
}

/// Removes the staging object and hands back the error that caused it.
async fn discard(store: &dyn ObjectStore, staging: &str, error: StorageError) -> StorageError {
    if let Err(e) = store.delete(staging).await {
        tracing::warn!(key = staging, error = %e, "could not remove a staging object");
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_keys_fan_out() {
        let h = "ABcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
        assert_eq!(blob_key(h), "blobs/sha256/ab/cd/abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
        assert_eq!(blob_key("a"), "blobs/sha256/00/00/a");
    }

    #[test]
    fn staging_names_tell_their_age() {
        let now = std::time::SystemTime::now();
        let key = format!("{STAGING_PREFIX}{}", uuid::Uuid::now_v7());
        assert!(staging_age(&key, now).is_some_and(|a| a < std::time::Duration::from_secs(5)));
        let later = now + std::time::Duration::from_secs(90_000);
        assert!(staging_age(&key, later).is_some_and(|a| a >= std::time::Duration::from_secs(89_999)));
        // not ours: a v4 name, another prefix, garbage
        assert_eq!(staging_age(&format!("staging/{}", uuid::Uuid::new_v4()), now), None);
        assert_eq!(staging_age("blobs/sha256/ab/cd/x", now), None);
        assert_eq!(staging_age("staging/not-a-uuid", now), None);
    }
}
