//! The suite on [`FsStore`] over a temporary folder, plus what only a folder can show.

use crate::suite;
use crate::support::{MIB, chunked_body, failing_body};
use aidoc_storage::{Backend, FsConfig, FsStore, ObjectStore, StorageConfig, bytes_stream};
use std::path::Path;

fn store() -> (tempfile::TempDir, FsStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsStore::new(dir.path().join("objects"));
    (dir, store)
}

/// Every file under `root` (relative), temporary files included.
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            if e.file_type().unwrap().is_dir() {
                pending.push(e.path());
            } else {
                out.push(e.path().strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

macro_rules! fs_suite {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let (_dir, store) = store();
            suite::$name(&store).await;
            assert!(
                !files(store.root()).iter().any(|f| f.contains(".aidoc-tmp-")),
                "temporary files left: {:?}",
                files(store.root())
            );
        }
    )*};
}

fs_suite!(
    large_round_trip,
    head_list_delete,
    missing_object,
    rename,
    content_addressed,
    too_large,
    failing_body_keeps_old_object,
    invalid_keys,
);

#[tokio::test]
async fn objects_are_plain_files_under_the_root() {
    let (_dir, store) = store();
    store.put("x/y/z.txt", bytes_stream("hello"), None).await.unwrap();
    assert_eq!(std::fs::read(store.root().join("x/y/z.txt")).unwrap(), b"hello");
    assert_eq!(files(store.root()), ["x/y/z.txt"]);
    // A folder is not an object. (s3s-fs answers HEAD on a folder-like key with HTTP 500, so this is not in the
    // shared suite; real S3 has no folders.)
    assert_eq!(store.head("x/y").await.unwrap(), None);
    assert!(store.get("x/y").await.err().is_some_and(|e| e.is_not_found()));
    store.delete("x/y").await.expect("deleting a folder-like key is a no-op");
    assert_eq!(files(store.root()), ["x/y/z.txt"]);
    assert_eq!(store.backend(), "fs");
}

#[tokio::test]
async fn listings_skip_temporary_files_of_unfinished_writes() {
    let (_dir, store) = store();
    store.put("d/done", bytes_stream("ok"), None).await.unwrap();
    // What a crash in the middle of a write leaves behind.
    std::fs::write(store.root().join("d/.aidoc-tmp-0123abcd"), b"half").unwrap();
    assert_eq!(crate::support::keys(&store, "").await, ["d/done"]);
    assert_eq!(crate::support::keys(&store, "d/").await, ["d/done"]);
}

#[tokio::test]
async fn a_cancelled_write_leaves_nothing() {
    let (_dir, store) = store();
    // A body that never ends: the put is dropped by the timeout half-way.
    let endless = Box::pin(futures::stream::StreamExt::chain(
        chunked_body(MIB, 4096, 1),
        futures::stream::pending::<std::io::Result<bytes::Bytes>>(),
    ));
    let r = tokio::time::timeout(std::time::Duration::from_millis(300), store.put("c/doc", endless, None)).await;
    assert!(r.is_err(), "the put should still be waiting for the body");
    assert!(files(store.root()).is_empty(), "left: {:?}", files(store.root()));
    assert!(store.put("c/doc", failing_body(10), None).await.is_err());
    assert!(files(store.root()).is_empty(), "left: {:?}", files(store.root()));
}

#[tokio::test]
async fn check_creates_the_root_and_fails_when_it_cannot_write() {
    let (dir, store) = store();
    assert!(!store.root().exists());
    store.check().await.expect("check");
    assert!(store.root().is_dir());
    assert!(files(store.root()).is_empty(), "the probe file is removed");

    // A root that is a file cannot hold objects.
    let blocked = FsStore::new(dir.path().join("a-file"));
    std::fs::write(dir.path().join("a-file"), b"").unwrap();
    let err = blocked.check().await.expect_err("check on a file");
    assert!(matches!(err, aidoc_storage::StorageError::Io { .. }), "{err}");
}

#[tokio::test]
async fn config_opens_an_fs_store() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StorageConfig {
        backend: Backend::Fs,
        fs: FsConfig { root: dir.path().join("from-config") },
        ..StorageConfig::default()
    };
    let store = cfg.open().await.expect("open");
    assert_eq!(store.backend(), "fs");
    assert!(dir.path().join("from-config").is_dir());
    store.check().await.unwrap();
}
