use crate::support::*;
use aidoc_proto::backup::v1 as pb;
use aidoc_testkit::service::{Launch, http_get};
use std::time::{Duration, Instant};

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(name) && !l.starts_with('#'))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .reduce(f64::max)
}

fn launch(db_url: &str, docs: &std::path::Path, backups: &std::path::Path) -> Launch {
    Launch::new("backup")
        .env("AIDOC_DATABASE__URL", db_url)
        .env("AIDOC_STORAGE__FS__ROOT", docs.display().to_string())
        .env("AIDOC_BACKUP__TARGET__FS__ROOT", backups.display().to_string())
        .env("AIDOC_BACKUP__PG_BIN_DIR", aidoc_testkit::TestPostgres::shared().bin_dir().display().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_backs_up_on_schedule_exports_metrics_and_answers_admin_calls() {
    let (docs, backups) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let db = migrated_db().await;
    let store = aidoc_storage::FsStore::new(docs.path());
    populate(&db, &store, 2).await;

    // A schedule every two seconds shows the scheduler at work.
    let mut scheduled = launch(&db.url, docs.path(), backups.path())
        .env("AIDOC_BACKUP__SCHEDULE", "*/2 * * * * *")
        .env("AIDOC_BACKUP__KIND", "database")
        .spawn();
    scheduled.wait_ready(Duration::from_secs(30)).await;
    let started = Instant::now();
    let last_success = loop {
        let (_, text) = http_get(&format!("{}/metrics", scheduled.admin_url()), &[]).await;
        if let Some(t) = metric(&text, "aidoc_backup_last_success_timestamp_seconds") {
            assert!(text.contains("aidoc_backup_duration_seconds_bucket{"), "{text}");
            assert!(text.contains("aidoc_backup_size_bytes{"), "{text}");
            assert!(text.contains("aidoc_backup_failures_total{"), "{text}");
            break t;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no scheduled backup: {}",
            scheduled.drain_output().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    assert!((now - last_success).abs() < 30.0, "timestamp {last_success} is now");
    scheduled.signal(aidoc_testkit::service::Signal::SIGTERM);
    assert_eq!(scheduled.wait_exit(Duration::from_secs(20)).await, Some(0));

    // Scheduler off (CronJob mode): the metrics still come from the backup store, and the admin calls work.
    let mut admin = launch(&db.url, docs.path(), backups.path()).env("AIDOC_BACKUP__SCHEDULER", "false").spawn();
    admin.wait_ready(Duration::from_secs(30)).await;
    let (_, text) = http_get(&format!("{}/metrics", admin.admin_url()), &[]).await;
    assert!(metric(&text, "aidoc_backup_last_success_timestamp_seconds").is_some_and(|t| t >= last_success), "{text}");
    let mut client = pb::backup_admin_client::BackupAdminClient::connect(admin.url()).await.expect("connect");
    let status = client.status(pb::StatusRequest {}).await.expect("status").into_inner();
    assert!(!status.scheduler_enabled);
    assert!(status.next_backup_at.is_empty());
    assert!(!status.latest_backup.is_empty() && !status.running);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let made =
        client.trigger(pb::TriggerRequest { kind: pb::BackupKind::Full as i32 }).await.expect("trigger").into_inner();
    assert!(made.complete);
    assert_eq!(made.kind(), pb::BackupKind::Full);
    assert_eq!(made.row_counts.get("catalog.documents"), Some(&2));
    assert_eq!(made.blob_count, 2);
    let verified = client.verify(pb::VerifyRequest { name: "latest".into() }).await.expect("verify").into_inner();
    assert!(verified.ok, "{:?}", verified.problems);
    assert_eq!(verified.name, made.name);
    let listed = client.list(pb::ListBackupsRequest {}).await.expect("list").into_inner().backups;
    assert_eq!(listed[0].name, made.name);
    assert_eq!(listed[0].verification, "verified");
    assert!(listed.iter().all(|b| b.complete));
    // Retention ran after each backup: one backup per day is kept, so only the newest of today remains.
    assert_eq!(listed.len(), 1, "{listed:?}");
    let status = client.status(pb::StatusRequest {}).await.expect("status").into_inner();
    assert_eq!(status.latest_backup, made.name);
    assert!(status.last_restore_test_ok);
    let (_, text) = http_get(&format!("{}/metrics", admin.admin_url()), &[]).await;
    assert!(metric(&text, "aidoc_backup_last_restore_test_success_timestamp_seconds").is_some(), "{text}");

    let missing = client.verify(pb::VerifyRequest { name: "20200101T000000Z-full".into() }).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound, "{missing:?}");
    assert!(missing.message().contains("no backup named"), "{missing:?}");
}
