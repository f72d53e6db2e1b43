//! Behaviour every backend must show; `fs.rs` and `s3.rs` run each function on their store.

use crate::support::{MIB, chunked_body, digest, expected_sha256, failing_body, keys, read_all};
use aidoc_storage::{ObjectMeta, ObjectStore, StorageError, blob_key, bytes_stream, put_content_addressed};

/// 12 MiB in 4 093-byte chunks (S3: a multipart upload of two parts) comes back identical, as a stream.
pub async fn large_round_trip(store: &dyn ObjectStore) {
    let total = 12 * MIB;
    let written = store.put("docs/large.bin", chunked_body(total, 4093, 1), Some(total as u64)).await.expect("put");
    assert_eq!(written, total as u64);
    let meta = store.head("docs/large.bin").await.expect("head");
    assert_eq!(meta, Some(ObjectMeta { key: "docs/large.bin".into(), size: total as u64 }));
    let (sha, size, chunks) = digest(store.get("docs/large.bin").await.expect("get")).await;
    assert_eq!(size, total as u64);
    assert_eq!(sha, expected_sha256(total, 1), "content differs");
    assert!(chunks > 1, "get should stream, got {chunks} chunk(s)");
}

pub async fn head_list_delete(store: &dyn ObjectStore) {
    for (key, body) in [("a/1", "one"), ("a/2", "two!"), ("ab/3", "3"), ("b/deep/er/4", "four")] {
        store.put(key, bytes_stream(body), None).await.unwrap_or_else(|e| panic!("put {key}: {e}"));
    }
    assert_eq!(store.head("a/2").await.unwrap(), Some(ObjectMeta { key: "a/2".into(), size: 4 }));
    assert_eq!(store.head("a/9").await.unwrap(), None);
    assert_eq!(keys(store, "a/").await, ["a/1", "a/2"]);
    assert_eq!(keys(store, "a").await, ["a/1", "a/2", "ab/3"]);
    assert_eq!(keys(store, "b/deep/").await, ["b/deep/er/4"]);
    assert_eq!(keys(store, "").await, ["a/1", "a/2", "ab/3", "b/deep/er/4"]);
    assert!(keys(store, "zzz/").await.is_empty());
    let sizes: Vec<u64> = store.list("a/").await.unwrap().iter().map(|m| m.size).collect();
    assert_eq!(sizes, [3, 4]);

    // Replacing an object.
    store.put("a/1", bytes_stream("uno, replaced"), None).await.unwrap();
    assert_eq!(read_all(store, "a/1").await, b"uno, replaced");

    store.delete("a/1").await.expect("delete");
    store.delete("a/1").await.expect("delete again is fine");
    store.delete("never/was").await.expect("delete of a missing key is fine");
    assert_eq!(store.head("a/1").await.unwrap(), None);
    assert_eq!(keys(store, "a").await, ["a/2", "ab/3"]);
}

pub async fn missing_object(store: &dyn ObjectStore) {
    match store.get("nope/missing.pdf").await {
        Err(StorageError::NotFound { key }) => assert_eq!(key, "nope/missing.pdf"),
        Err(other) => panic!("expected NotFound, got {other}"),
        Ok(_) => panic!("expected NotFound, got a body"),
    }
    match store.rename("nope/missing.pdf", "elsewhere").await {
        Err(StorageError::NotFound { key }) => assert_eq!(key, "nope/missing.pdf"),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

pub async fn rename(store: &dyn ObjectStore) {
    store.put("in/x.txt", bytes_stream("moving"), None).await.unwrap();
    store.rename("in/x.txt", "out/deeper/y.txt").await.expect("rename");
    assert_eq!(store.head("in/x.txt").await.unwrap(), None);
    assert_eq!(read_all(store, "out/deeper/y.txt").await, b"moving");
    // Onto an existing key: replaced.
    store.put("in/z.txt", bytes_stream("newer"), None).await.unwrap();
    store.rename("in/z.txt", "out/deeper/y.txt").await.expect("rename over");
    assert_eq!(read_all(store, "out/deeper/y.txt").await, b"newer");
    assert_eq!(keys(store, "").await, ["out/deeper/y.txt"]);
}

pub async fn content_addressed(store: &dyn ObjectStore) {
    let total = 300 * 1024 + 17;
    let first = put_content_addressed(store, chunked_body(total, 1000, 9), 10 * MIB as u64).await.expect("first");
    let sha = expected_sha256(total, 9);
    assert_eq!(first.sha256, sha);
    assert_eq!(first.key, blob_key(&sha));
    assert!(first.key.starts_with(&format!("blobs/sha256/{}/{}/", &sha[..2], &sha[2..4])));
    assert_eq!(first.size, total as u64);
    assert!(!first.already_present);

    let second = put_content_addressed(store, chunked_body(total, 777, 9), 10 * MIB as u64).await.expect("second");
    assert_eq!(second.key, first.key);
    assert!(second.already_present, "the same bytes must not be stored twice");

    assert_eq!(keys(store, "blobs/").await, [first.key.as_str()]);
    assert!(keys(store, "staging/").await.is_empty(), "staging must be empty");
    let (got, size, _) = digest(store.get(&first.key).await.unwrap()).await;
    assert_eq!((got, size), (sha, total as u64));

    // Different bytes: a second blob.
    let other = put_content_addressed(store, bytes_stream("other"), 10).await.expect("other");
    assert!(!other.already_present);
    assert_eq!(keys(store, "blobs/").await.len(), 2);
}

pub async fn too_large(store: &dyn ObjectStore) {
    // Small: over the limit within the first S3 part.
    match put_content_addressed(store, chunked_body(64 * 1024, 1000, 3), 10_000).await {
        Err(StorageError::TooLarge { limit }) => assert_eq!(limit, 10_000),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    // Large: over the limit after the first 8 MiB part has gone out (S3: the multipart upload is aborted).
    match put_content_addressed(store, chunked_body(12 * MIB, 8192, 4), 9 * MIB as u64).await {
        Err(StorageError::TooLarge { limit }) => assert_eq!(limit, 9 * MIB as u64),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(keys(store, "staging/").await.is_empty(), "staging must be empty");
    assert!(keys(store, "blobs/").await.is_empty(), "nothing stored");
    // Exactly at the limit is fine.
    let ok = put_content_addressed(store, chunked_body(10_000, 999, 3), 10_000).await.expect("at the limit");
    assert_eq!(ok.size, 10_000);
}

/// A body that fails half-way stores nothing and leaves the previous object as it was.
pub async fn failing_body_keeps_old_object(store: &dyn ObjectStore) {
    store.put("k/doc", bytes_stream("version one"), None).await.unwrap();
    match store.put("k/doc", failing_body(100_000), None).await {
        Err(StorageError::Body { source }) => assert!(source.to_string().contains("client went away"), "{source}"),
        other => panic!("expected a Body error, got {other:?}"),
    }
    assert_eq!(read_all(store, "k/doc").await, b"version one");
    match put_content_addressed(store, failing_body(50_000), MIB as u64).await {
        Err(StorageError::Body { .. }) => {}
        other => panic!("expected a Body error, got {other:?}"),
    }
    assert!(keys(store, "staging/").await.is_empty());
    assert!(keys(store, "blobs/").await.is_empty());
    assert_eq!(keys(store, "").await, ["k/doc"]);
}

pub async fn invalid_keys(store: &dyn ObjectStore) {
    let invalid = |r: Result<(), StorageError>, what: &str| match r {
        Err(StorageError::InvalidKey { .. }) => {}
        other => panic!("{what}: expected InvalidKey, got {other:?}"),
    };
    let long = "k".repeat(1025);
    for key in ["", "/etc/passwd", "../outside", "a/../../b", "a//b", "a/", "nul\0byte", long.as_str()] {
        invalid(store.put(key, bytes_stream("x"), None).await.map(|_| ()), &format!("put {key:?}"));
        invalid(store.get(key).await.map(|_| ()), &format!("get {key:?}"));
        invalid(store.head(key).await.map(|_| ()), &format!("head {key:?}"));
        invalid(store.delete(key).await, &format!("delete {key:?}"));
    }
    store.put("fine", bytes_stream("x"), None).await.unwrap();
    invalid(store.rename("fine", "../escape").await, "rename to ../escape");
    invalid(store.list("/abs").await.map(|_| ()), "list /abs");
    invalid(store.list("../").await.map(|_| ()), "list ../");
    assert_eq!(keys(store, "").await, ["fine"]);
}
