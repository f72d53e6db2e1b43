//! The suite on [`S3Store`] against a real s3s-fs server, plus credentials and bucket handling.

use crate::suite;
use aidoc_common::secret::Secret;
use aidoc_storage::testing::S3Server;
use aidoc_storage::{Backend, ObjectStore, S3Store, StorageConfig, StorageError, bytes_stream};

macro_rules! s3_suite {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test]
        async fn $name() {
            let server = S3Server::start();
            let store = server.store("aidoc-test").await;
            suite::$name(&store).await;
        }
    )*};
}

s3_suite!(
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
async fn a_wrong_secret_key_is_refused_with_a_typed_error() {
    let server = S3Server::start();
    let good = server.store("locked").await;
    good.put("doc", bytes_stream("secret data"), None).await.unwrap();

    let mut cfg = server.config("locked");
    cfg.secret_key = Secret::new("not-the-secret-key");
    let bad = S3Store::new(&cfg).unwrap();
    let denied = |r: Result<(), StorageError>, what: &str| match r {
        Err(StorageError::AccessDenied { message }) => {
            assert!(message.contains("403"), "{what}: {message}")
        }
        other => panic!("{what}: expected AccessDenied, got {other:?}"),
    };
    denied(bad.check().await, "check");
    denied(bad.put("other", bytes_stream("x"), None).await.map(|_| ()), "put");
    denied(bad.get("doc").await.map(|_| ()), "get");
    denied(bad.list("").await.map(|_| ()), "list");
    denied(bad.delete("doc").await, "delete");
    assert_eq!(crate::support::keys(&good, "").await, ["doc"], "nothing changed");

    // The secret never shows up in debug output.
    let shown = format!("{bad:?} {cfg:?}");
    assert!(!shown.contains("not-the-secret-key"), "{shown}");
}

#[tokio::test]
async fn check_needs_the_bucket_and_ensure_bucket_creates_it_once() {
    let server = S3Server::start();
    let store = S3Store::new(&server.config("fresh-bucket")).unwrap();
    match store.check().await {
        Err(StorageError::Backend { message }) => assert!(message.contains("fresh-bucket"), "{message}"),
        other => panic!("expected a missing-bucket error, got {other:?}"),
    }
    store.ensure_bucket().await.expect("create");
    store.ensure_bucket().await.expect("already there");
    store.check().await.expect("check");
    assert!(server.data_dir().join("fresh-bucket").is_dir());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_an_error_not_a_hang() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut cfg = S3Server::start().config("aidoc");
    cfg.endpoint = format!("http://127.0.0.1:{port}");
    let store = S3Store::new(&cfg).unwrap();
    let err = store.check().await.expect_err("nothing listens there");
    assert!(matches!(err, StorageError::Backend { .. } | StorageError::Io { .. }), "{err}");
}

#[tokio::test]
async fn config_opens_an_s3_store() {
    let server = S3Server::start();
    let cfg = StorageConfig { backend: Backend::S3, s3: server.config("from-config"), ..StorageConfig::default() };
    assert!(cfg.validate(false).is_empty(), "{:?}", cfg.validate(false));
    let store = cfg.open().await.expect("open");
    assert_eq!(store.backend(), "s3");
    assert!(store.check().await.is_err(), "the bucket does not exist yet");
    S3Store::new(&cfg.s3).unwrap().ensure_bucket().await.unwrap();
    store.check().await.expect("check");
}

/// HTTPS is compiled in (reqwest's rustls): an https endpoint gets a TLS handshake, not "scheme is not http".
#[tokio::test]
async fn https_endpoints_get_a_tls_handshake() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Answers the TLS ClientHello in plain HTTP (also on rust-s3's retry).
    std::thread::spawn(move || {
        for mut conn in listener.incoming().take(8).flatten() {
            let _ = conn.read(&mut [0u8; 4096]);
            let _ = conn.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let cfg = aidoc_storage::S3Config {
        endpoint: format!("https://127.0.0.1:{port}"),
        access_key: Secret::new("a"),
        secret_key: Secret::new("b"),
        ..aidoc_storage::S3Config::default()
    };
    let err = S3Store::new(&cfg).unwrap().check().await.expect_err("no TLS server there");
    let message = err.to_string();
    assert!(matches!(err, StorageError::Backend { .. }), "{message}");
    assert!(!message.contains("scheme"), "HTTPS support is missing: {message}");
    assert!(message.contains("corrupt message"), "expected a TLS error: {message}");
}
