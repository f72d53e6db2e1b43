//! `just bench-backup`: backup and restore times and sizes for the indexed shared corpus.
//!
//! Starts the stack, uploads the corpus (and `bench/quality/docs`) and waits until it is indexed, then runs the
//! real `aidoc-backup` binary against a real S3 server as the backup target: a database backup, a full backup,
//! the restore test (`verify`), and a full restore onto an empty system (a new database without schemas and an
//! empty document store). Prints each time and size, and the RPO/RTO they imply for the default daily schedule.

#[allow(dead_code)]
mod common;
#[path = "../tests/integration/support.rs"]
#[allow(dead_code)]
mod support;

use aidoc_storage::testing::S3Server;
use std::time::{Duration, Instant};

struct Run {
    seconds: f64,
    stdout: String,
}

async fn aidoc_backup(env: &[(String, String)], args: &[&str]) -> Run {
    let started = Instant::now();
    let out = tokio::process::Command::new(aidoc_testkit::paths::binary("aidoc-backup"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().cloned())
        .output()
        .await
        .expect("aidoc-backup");
    let seconds = started.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "aidoc-backup {args:?} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    Run { seconds, stdout }
}

fn mib(n: u64) -> String {
    format!("{:.1} MiB", n as f64 / 1048576.0)
}

#[tokio::main]
async fn main() {
    let Some(corpus) = common::corpus_or_skip() else {
        return;
    };
    common::warn_if_stale();
    let stack = support::start_stack(&[("AIDOC_LOG__LEVEL", "warn")]).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(300)).build().expect("client");
    let base = stack.gateway.url();
    let files = common::files_to_upload(&corpus, &aidoc_testkit::paths::workspace_root().join("bench/quality/docs"));
    let started = Instant::now();
    let (ids, _) = common::upload_files(&http, &base, &files).await;
    let docs = common::settle(&http, &base, &ids).await;
    let ingest = started.elapsed().as_secs_f64();
    let ready = docs.iter().filter(|d| d["status"] == "ready").count();

    let s3 = S3Server::start();
    s3.store("aidoc-backups").await;
    let target = s3.config("aidoc-backups");
    let work = tempfile::tempdir().expect("work dir");
    let mut env: Vec<(String, String)> = stack.env.clone();
    env.extend(
        [
            ("AIDOC_LOG__LEVEL", "warn".to_owned()),
            ("AIDOC_BACKUP__TARGET__BACKEND", "s3".to_owned()),
            ("AIDOC_BACKUP__TARGET__S3__ENDPOINT", target.endpoint.clone()),
            ("AIDOC_BACKUP__TARGET__S3__BUCKET", "aidoc-backups".to_owned()),
            ("AIDOC_BACKUP__TARGET__S3__ACCESS_KEY", target.access_key.expose().to_owned()),
            ("AIDOC_BACKUP__TARGET__S3__SECRET_KEY", target.secret_key.expose().to_owned()),
            ("AIDOC_BACKUP__PG_BIN_DIR", aidoc_testkit::TestPostgres::shared().bin_dir().display().to_string()),
            ("AIDOC_BACKUP__WORK_DIR", work.path().display().to_string()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );

    let db = stack.db.client().await;
    let chunks: i64 = db.query_one("SELECT count(*) FROM search.chunks", &[]).await.expect("chunks").get(0);
    let db_size: i64 = db.query_one("SELECT pg_database_size(current_database())", &[]).await.expect("size").get(0);

    let database = aidoc_backup(&env, &["backup", "--json", "--no-cleanup"]).await;
    let database_info: serde_json::Value = serde_json::from_str(&database.stdout).expect("backup json");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let full = aidoc_backup(&env, &["full", "--json", "--no-cleanup"]).await;
    let full_info: serde_json::Value = serde_json::from_str(&full.stdout).expect("full json");
    let verify = aidoc_backup(&env, &["verify", "latest"]).await;

    // An empty system: a database without schemas and an empty document store.
    let empty = aidoc_testkit::TestDb::new(&[]).await;
    let empty_store = tempfile::tempdir().expect("store");
    let mut restore_env = env.clone();
    restore_env.retain(|(k, _)| !k.starts_with("AIDOC_STORAGE__"));
    restore_env.push(("AIDOC_STORAGE__BACKEND".into(), "fs".into()));
    restore_env.push(("AIDOC_STORAGE__FS__ROOT".into(), empty_store.path().display().to_string()));
    restore_env.push(("AIDOC_RESTORE_DATABASE_URL".into(), empty.url.clone()));
    let restore = aidoc_backup(&restore_env, &["restore", "latest"]).await;
    let restored: i64 =
        empty.client().await.query_one("SELECT count(*) FROM search.chunks", &[]).await.expect("chunks").get(0);
    assert_eq!(restored, chunks, "the restore brought every chunk back");

    let dump = |info: &serde_json::Value| {
        info["files"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["path"] == "database.dump"))
            .map(|f| f["size"].as_u64().unwrap_or(0))
            .unwrap_or(0)
    };
    println!();
    println!(
        "library: {} files, {ready} ready, {chunks} chunks, database {} (ingest {ingest:.0} s)",
        files.len(),
        mib(db_size as u64)
    );
    println!("{:<34} {:>9} {:>12}", "operation", "time", "size");
    println!(
        "{:<34} {:>7.1} s {:>12}",
        "backup (database + blob manifest)",
        database.seconds,
        mib(database_info["size_bytes"].as_u64().unwrap_or(0))
    );
    println!("{:<34} {:>9} {:>12}", "  of which the pg_dump file", "", mib(dump(&database_info)));
    println!(
        "{:<34} {:>7.1} s {:>12}",
        "full (database + every blob)",
        full.seconds,
        mib(full_info["size_bytes"].as_u64().unwrap_or(0))
    );
    println!(
        "{:<34} {:>9} {:>12}",
        "  of which blobs",
        "",
        mib(full_info["contents"]["blob_bytes"].as_u64().unwrap_or(0))
    );
    println!("{:<34} {:>7.1} s", "verify (restore test, scratch db)", verify.seconds);
    println!("{:<34} {:>7.1} s", "restore full onto an empty system", restore.seconds);
    println!(
        "RPO with the daily schedule: 24 h + {:.0} s; RTO (restore, before services start): {:.0} s",
        full.seconds, restore.seconds
    );
}
