use crate::support::*;
use aidoc_backup::BackupError;
use aidoc_backup::config::BackupKind;
use aidoc_backup::layout;
use aidoc_backup::restore::RestoreOptions;
use aidoc_storage::testing::S3Server;
use bytes::Bytes;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// `n` bytes that do not compress, as a stream of 1 MiB chunks (never all in memory).
fn noise(seed: u64, n: usize) -> aidoc_storage::ByteStream {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let chunks = (0..n.div_ceil(1 << 20)).map(move |_| {
        let mut chunk = vec![0u8; 1 << 20];
        for b in chunk.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        Ok(Bytes::from(chunk))
    });
    Box::pin(futures::stream::iter(chunks))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_killed_mid_upload_is_never_listed_as_good_and_is_cleaned_up() {
    let s3 = S3Server::start();
    let (work, docs_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let db = migrated_db().await;
    let cfg = config(&db, fs_storage(docs_dir.path()), s3_storage(&s3, "aidoc-backups"), work.path());
    let engine = engine(cfg.clone()).await;
    populate(&db, &*engine.docs, 2).await;
    let good = engine.backup(BackupKind::Database).await.expect("a complete backup first");

    // Big blobs make the copy phase of a full backup long enough to be killed in.
    let client = db.client().await;
    for i in 0..5u64 {
        let stored =
            aidoc_storage::put_content_addressed(&*engine.docs, noise(i + 1, 48 << 20), u64::MAX).await.unwrap();
        client
            .execute(
                "INSERT INTO catalog.documents (id, title, file_name, media_type, size_bytes, sha256, blob_key)
                 VALUES ($1, 'big', $2, 'application/pdf', $3, $4, $5)",
                &[&uuid::Uuid::new_v4(), &format!("big-{i}.pdf"), &(stored.size as i64), &stored.sha256, &stored.key],
            )
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1100)).await; // a new second: a new backup name

    let target = s3.config("aidoc-backups");
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_aidoc-backup"))
        .args(["full", "--no-cleanup"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AIDOC_DATABASE__URL", &db.url)
        .env("AIDOC_STORAGE__FS__ROOT", docs_dir.path())
        .env("AIDOC_BACKUP__TARGET__BACKEND", "s3")
        .env("AIDOC_BACKUP__TARGET__S3__ENDPOINT", &target.endpoint)
        .env("AIDOC_BACKUP__TARGET__S3__BUCKET", "aidoc-backups")
        .env("AIDOC_BACKUP__TARGET__S3__ACCESS_KEY", target.access_key.expose())
        .env("AIDOC_BACKUP__TARGET__S3__SECRET_KEY", target.secret_key.expose())
        .env("AIDOC_BACKUP__PG_BIN_DIR", &cfg.backup.pg_bin_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("aidoc-backup full");
    // Kill it (SIGKILL: no cleanup of any kind) once the blob manifest is up and the blob copies are under way.
    let bucket = s3.data_dir().join("aidoc-backups/backups");
    let started = Instant::now();
    let name = loop {
        let found = std::fs::read_dir(&bucket).ok().and_then(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| *n != good.name && bucket.join(n).join(layout::BLOBS).is_file())
        });
        if let Some(n) = found {
            break n;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the full backup never got to its blobs");
        if let Ok(Some(status)) = child.try_wait() {
            panic!("aidoc-backup exited early with {status}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    child.start_kill().unwrap();
    child.wait().await.unwrap();
    assert!(
        !bucket.join(&name).join(layout::INFO).exists(),
        "the backup finished before it was killed: make the blobs bigger"
    );

    let listing = engine.list().await.unwrap();
    assert_eq!(listing.len(), 2);
    let killed = listing.iter().find(|l| l.name == name).expect("listed");
    assert_eq!(killed.status(), "incomplete");
    assert!(!killed.is_complete() && killed.info.is_none());
    assert_eq!(killed.kind, Some(BackupKind::Full));
    // Every way of using it is refused; `latest` is the last complete backup.
    assert!(matches!(engine.resolve(&name).await, Err(BackupError::Incomplete(_))));
    let err = engine.restore(&name, &RestoreOptions::default()).await.unwrap_err();
    assert!(err.to_string().contains("incomplete"), "{err}");
    assert_eq!(engine.resolve("latest").await.unwrap().name, good.name);
    // The CLI shows it for what it is.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_aidoc-backup"))
        .arg("list")
        .env_clear()
        .env("AIDOC_DATABASE__URL", &db.url)
        .env("AIDOC_STORAGE__FS__ROOT", docs_dir.path())
        .env("AIDOC_BACKUP__TARGET__BACKEND", "s3")
        .env("AIDOC_BACKUP__TARGET__S3__ENDPOINT", &target.endpoint)
        .env("AIDOC_BACKUP__TARGET__S3__ACCESS_KEY", target.access_key.expose())
        .env("AIDOC_BACKUP__TARGET__S3__SECRET_KEY", target.secret_key.expose())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with(&name)).unwrap_or_else(|| panic!("{text}"));
    assert!(line.ends_with("incomplete"), "{text}");
    assert!(text.lines().any(|l| l.starts_with(&good.name) && l.ends_with("unverified")), "{text}");

    // Cleanup leaves a young incomplete backup alone (it may still be running) and removes it after the grace.
    let report = engine.cleanup(false).await.unwrap();
    assert!(report.plan.delete_incomplete.is_empty());
    let mut cfg2 = cfg.clone();
    cfg2.backup.incomplete_grace = Duration::ZERO;
    let engine2 = crate::support::engine(cfg2).await;
    let report = engine2.cleanup(false).await.unwrap();
    assert_eq!(report.plan.delete_incomplete, vec![name.clone()]);
    assert!(report.deleted_bytes > 0);
    let listing = engine.list().await.unwrap();
    assert_eq!(listing.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(), vec![good.name.as_str()]);
    assert!(engine.target.list(&layout::prefix(&name)).await.unwrap().is_empty(), "no object of it is left");
}
