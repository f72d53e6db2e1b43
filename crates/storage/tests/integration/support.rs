//! Bodies for the tests: deterministic bytes delivered in many small chunks, never held whole in memory.

use aidoc_storage::{ByteStream, ObjectStore};
use bytes::Bytes;
use futures::StreamExt;
use sha2::{Digest, Sha256};

pub const MIB: usize = 1024 * 1024;

/// The bytes at `offset..offset + len` of the body with `seed`.
fn pattern(seed: u64, offset: usize, len: usize) -> Vec<u8> {
    (offset..offset + len)
        .map(|p| {
            let x = (p as u64 ^ seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (x >> 56) as u8
        })
        .collect()
}

/// A `total`-byte body in `chunk`-byte pieces, generated as it is read.
pub fn chunked_body(total: usize, chunk: usize, seed: u64) -> ByteStream {
    let pieces = total.div_ceil(chunk);
    Box::pin(futures::stream::iter(0..pieces).map(move |i| {
        let start = i * chunk;
        Ok(Bytes::from(pattern(seed, start, chunk.min(total - start))))
    }))
}

/// A body that yields `good` bytes and then fails.
pub fn failing_body(good: usize) -> ByteStream {
    let head = chunked_body(good, 4096, 7);
    let tail = futures::stream::once(async { Err(std::io::Error::other("client went away")) });
    Box::pin(head.chain(tail))
}

/// SHA-256 (hex) of the body `chunked_body(total, _, seed)` would produce.
pub fn expected_sha256(total: usize, seed: u64) -> String {
    let mut h = Sha256::new();
    let mut offset = 0;
    while offset < total {
        let len = MIB.min(total - offset);
        h.update(pattern(seed, offset, len));
        offset += len;
    }
    hex::encode(h.finalize())
}

/// SHA-256 (hex), length and number of chunks of a stream.
pub async fn digest(mut body: ByteStream) -> (String, u64, usize) {
    let mut h = Sha256::new();
    let (mut size, mut chunks) = (0u64, 0usize);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.expect("body chunk");
        size += chunk.len() as u64;
        chunks += 1;
        h.update(&chunk);
    }
    (hex::encode(h.finalize()), size, chunks)
}

pub async fn read_all(store: &dyn ObjectStore, key: &str) -> Vec<u8> {
    let body = store.get(key).await.unwrap_or_else(|e| panic!("get {key}: {e}"));
    aidoc_storage::collect_bytes(body).await.expect("read body")
}

pub async fn keys(store: &dyn ObjectStore, prefix: &str) -> Vec<String> {
    store.list(prefix).await.unwrap_or_else(|e| panic!("list {prefix:?}: {e}")).into_iter().map(|m| m.key).collect()
}
