use crate::support::*;
use aidoc_backup::BackupError;
use aidoc_backup::config::BackupKind;
use aidoc_backup::layout;
use aidoc_backup::restore::RestoreOptions;
use aidoc_common::Secret;
use aidoc_storage::testing::S3Server;

#[tokio::test(flavor = "multi_thread")]
async fn a_full_backup_on_s3_restores_every_row_chunk_and_blob_onto_an_empty_system() {
    let s3 = S3Server::start();
    let (work, docs_dir, new_docs_dir) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = migrated_db().await;
    let cfg = config(&source, fs_storage(docs_dir.path()), s3_storage(&s3, "aidoc-backups"), work.path());
    let engine = engine(cfg.clone()).await;
    let keys = populate(&source, &*engine.docs, 4).await;

    let info = engine.backup(BackupKind::Full).await.expect("full backup");
    assert_eq!(info.kind, BackupKind::Full);
    assert_eq!(info.contents.row_counts["catalog.documents"], 4);
    assert_eq!(info.contents.row_counts["search.chunks"], 12);
    assert_eq!(info.contents.blob_count, 4);
    assert!(info.uncopied.is_empty() && info.warnings.is_empty(), "{:?}", info.warnings);
    assert!(info.versions.pg_dump.contains("pg_dump"), "{:?}", info.versions);
    assert_eq!(info.versions.migrations["catalog"].len(), aidoc_backup::db::migrations::CATALOG.len());
    let dump = info.file(layout::DUMP).expect("dump recorded");
    let stored = aidoc_storage::collect_bytes(engine.target.get(&layout::key(&info.name, layout::DUMP)).await.unwrap())
        .await
        .unwrap();
    assert_eq!(stored.len() as u64, dump.size);
    assert_eq!(aidoc_backup::files::sha256_hex(&stored), dump.sha256);
    assert!(stored.starts_with(b"PGDMP"), "pg_dump custom format");
    let listed = engine.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status(), "unverified");

    // An empty system: a database without any schema, an empty document store.
    let target = empty_db().await;
    let mut cfg2 = config(&target, fs_storage(new_docs_dir.path()), s3_storage(&s3, "aidoc-backups"), work.path());
    cfg2.backup.pg_bin_dir = cfg.backup.pg_bin_dir.clone();
    let engine2 = crate::support::engine(cfg2).await;
    let report = engine2.restore("latest", &RestoreOptions::default()).await.expect("restore");
    assert_eq!(report.name, info.name);
    assert_eq!((report.blobs_restored, report.blobs_present), (4, 0));
    assert!(report.blobs_missing.is_empty());
    assert!(report.migrations_applied.is_empty(), "same release: nothing to migrate");

    assert_eq!(fingerprint(&target.url).await, fingerprint(&source.url).await, "rows, chunks, vectors identical");
    let restored_blobs = objects(&*engine2.docs, "blobs/").await;
    assert_eq!(restored_blobs, objects(&*engine.docs, "blobs/").await, "blob keys and SHA-256 identical");
    assert_eq!(restored_blobs.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), {
        let mut k = keys.clone();
        k.sort();
        k
    });
    // The restored library is one this release can run: the migration tables are there and complete.
    let client = target.client().await;
    let n: i64 = client.query_one("SELECT count(*) FROM search.schema_migrations", &[]).await.unwrap().get(0);
    assert_eq!(n as usize, aidoc_backup::db::migrations::SEARCH.len());

    // Restoring again over it is refused (it holds documents) unless forced.
    let err = engine2.restore(&info.name, &RestoreOptions::default()).await.unwrap_err();
    assert!(matches!(err, BackupError::TargetNotEmpty(_)), "{err}");
    assert!(err.to_string().contains("4 rows in catalog.documents"), "{err}");
    client.batch_execute("DELETE FROM search.chunks WHERE chunk_index = 0").await.unwrap();
    let forced =
        engine2.restore(&info.name, &RestoreOptions { force: true, ..Default::default() }).await.expect("forced");
    assert_eq!((forced.blobs_restored, forced.blobs_present), (0, 4), "blobs already there are kept");
    assert_eq!(fingerprint(&target.url).await, fingerprint(&source.url).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_corrupted_byte_or_a_missing_file_is_refused_before_anything_changes() {
    let (work, docs_dir, backups) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = migrated_db().await;
    let engine = engine(config(&source, fs_storage(docs_dir.path()), fs_storage(backups.path()), work.path())).await;
    populate(&source, &*engine.docs, 3).await;
    let info = engine.backup(BackupKind::Full).await.expect("backup");

    let target = empty_db().await;
    let untouched = || async {
        let c = target.client().await;
        let n: i64 = c
            .query_one("SELECT count(*) FROM pg_namespace WHERE nspname IN ('catalog', 'search')", &[])
            .await
            .unwrap()
            .get(0);
        n
    };
    let opts = RestoreOptions { database_url: Some(Secret::new(target.url.clone())), force: false };
    let dump_path = backups.path().join(layout::key(&info.name, layout::DUMP));
    let original = std::fs::read(&dump_path).unwrap();

    // One byte in the middle of the dump.
    let mut damaged = original.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x01;
    std::fs::write(&dump_path, &damaged).unwrap();
    let err = engine.restore(&info.name, &opts).await.unwrap_err();
    let BackupError::Corrupt { problems, .. } = &err else { panic!("expected Corrupt, got {err}") };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("database.dump: SHA-256"), "{problems:?}");
    assert!(err.to_string().contains("nothing was changed"), "{err}");
    assert_eq!(untouched().await, 0, "no schema was created");
    std::fs::write(&dump_path, &original).unwrap();

    // A truncated blob copy and a missing one are named.
    let manifest: layout::BlobManifest =
        serde_json::from_slice(&std::fs::read(backups.path().join(layout::key(&info.name, layout::BLOBS))).unwrap())
            .unwrap();
    let first = backups.path().join(layout::key(&info.name, &manifest.blobs[0].key));
    let body = std::fs::read(&first).unwrap();
    std::fs::write(&first, &body[..body.len() - 1]).unwrap();
    std::fs::remove_file(backups.path().join(layout::key(&info.name, &manifest.blobs[1].key))).unwrap();
    let err = engine.restore(&info.name, &opts).await.unwrap_err();
    let BackupError::Corrupt { problems, .. } = &err else { panic!("expected Corrupt, got {err}") };
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().any(|p| p.starts_with(&manifest.blobs[0].key) && p.contains("expected")), "{problems:?}");
    assert!(problems.iter().any(|p| *p == format!("{}: copy missing", manifest.blobs[1].key)), "{problems:?}");
    assert_eq!(untouched().await, 0);
    assert!(engine.docs.list("blobs/").await.unwrap().len() == 3, "the document store was not touched either");

    // The restore test records the failure next to the backup.
    let v = engine.verify(&info.name).await.expect("verify runs");
    assert!(!v.ok);
    assert_eq!(v.problems.len(), 2, "{:?}", v.problems);
    assert_eq!(engine.list().await.unwrap()[0].status(), "failed");

    // A damaged record is refused too.
    let info_path = backups.path().join(layout::key(&info.name, layout::INFO));
    let mut text = std::fs::read_to_string(&info_path).unwrap();
    text = text.replacen(&info.file(layout::BLOBS).unwrap().sha256, &"0".repeat(64), 1);
    std::fs::write(&info_path, text).unwrap();
    let err = engine.restore(&info.name, &opts).await.unwrap_err();
    assert!(err.to_string().contains("blobs.json: SHA-256"), "{err}");
    assert_eq!(untouched().await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_restore_test_uses_a_scratch_database_and_records_success() {
    let (work, docs_dir, backups) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = migrated_db().await;
    let engine = engine(config(&source, fs_storage(docs_dir.path()), fs_storage(backups.path()), work.path())).await;
    let keys = populate(&source, &*engine.docs, 2).await;
    let info = engine.backup(BackupKind::Database).await.expect("backup");
    assert_eq!(info.size_bytes, info.files.iter().map(|f| f.size).sum::<u64>(), "no blob copies in a database backup");
    assert!(!backups.path().join(layout::key(&info.name, "blobs")).exists());

    let v = engine.verify("latest").await.expect("verify");
    assert!(v.ok, "{:?}", v.problems);
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
    let listed = engine.list().await.unwrap();
    assert_eq!(listed[0].status(), "verified");
    assert_eq!(listed[0].verification.as_ref().unwrap().mode, "restore_test");
    let client = source.client().await;
    let scratch: i64 = client
        .query_one("SELECT count(*) FROM pg_database WHERE datname LIKE 'aidoc_restore_test_%'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(scratch, 0, "the scratch database is dropped");

    // A database backup relies on the document store: a blob gone from it is reported.
    engine.docs.delete(&keys[0]).await.unwrap();
    let v = engine.verify(&info.name).await.expect("verify");
    assert!(v.ok, "the database itself restores");
    assert_eq!(v.warnings.len(), 1, "{:?}", v.warnings);
    assert!(v.warnings[0].starts_with(&keys[0]), "{:?}", v.warnings);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_of_an_older_schema_is_migrated_to_this_release() {
    let (work, docs_dir, backups) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // The release before: only the first migration of each schema.
    let old = aidoc_testkit::TestDb::new(&[
        ("catalog", &aidoc_backup::db::migrations::CATALOG[..1]),
        ("search", &aidoc_backup::db::migrations::SEARCH[..1]),
    ])
    .await;
    let engine = engine(config(&old, fs_storage(docs_dir.path()), fs_storage(backups.path()), work.path())).await;
    let c = old.client().await;
    c.batch_execute(
        "INSERT INTO catalog.documents (id, title, file_name, media_type, size_bytes, sha256, blob_key)
         VALUES ('00000000-0000-0000-0000-000000000001', 'Old', 'old.md', 'text/markdown', 3, repeat('a', 64), 'blobs/x')",
    )
    .await
    .unwrap();
    let info = engine.backup(BackupKind::Database).await.expect("backup");
    assert_eq!(info.versions.migrations["catalog"], vec![aidoc_backup::db::migrations::CATALOG[0].version]);

    let target = empty_db().await;
    let opts = RestoreOptions { database_url: Some(Secret::new(target.url.clone())), force: false };
    let report = engine.restore(&info.name, &opts).await.expect("restore");
    let newer: Vec<i64> = aidoc_backup::db::migrations::CATALOG[1..]
        .iter()
        .chain(&aidoc_backup::db::migrations::SEARCH[1..])
        .map(|m| m.version)
        .collect();
    assert_eq!(report.migrations_applied, newer);
    assert_eq!(report.blobs_missing, vec!["blobs/x"], "a database backup does not hold blobs");
    let t = target.client().await;
    let source: String = t.query_one("SELECT title_source FROM catalog.documents", &[]).await.unwrap().get(0);
    assert_eq!(source, "file", "the newer migration's column exists with its default");
}
