//! Backups of a real library: documents go through the whole pipeline (gateway → S3 → api → indexer), a full
//! backup goes to another S3 bucket, everything is dropped, the backup is restored, and every document, chunk and
//! blob is back with search answering as before ([`full_backup_round_trip`], which the shared-corpus test in
//! `ingest` runs on the whole indexed corpus too). Then the library moves as a portable archive through the
//! normal ingest path.

use crate::ingest::{Ingest, ids_of};
use aidoc_storage::ObjectStore;
use aidoc_testkit::ServiceProcess;
use aidoc_testkit::service::{Launch, Signal};
use serde_json::{Value, json};
use std::time::Duration;

const RUNBOOK: &str = "# Lease runbook\n\n## Error codes\n\nWhen the ingest queue reports PPR-4711 the worker lost its \
    lease and another worker retries the job. Check the lease with `aidoc jobs --state running`.\n";
const NOTES: &str = "备份恢复说明\n\n恢复之前必须先校验备份文件的校验和，校验失败的备份不会被恢复。\n";
const GUIDE: &str = "<!DOCTYPE html><html><head><title>Semantic ranking</title></head><body><main><h1>Semantic \
    ranking</h1><p>Every passage is embedded with a multilingual sentence model and passages are ranked by cosine \
    similarity to the embedded question.</p></main></body></html>";

/// `aidoc-backup <args>` with the stack's database and document store, backups in the `aidoc-backups` bucket.
async fn backup_cli(t: &Ingest, args: &[&str]) -> (bool, String) {
    let cfg = t.s3.config("aidoc-backups");
    let mut cmd = tokio::process::Command::new(aidoc_testkit::paths::binary("aidoc-backup"));
    cmd.args(args).env_clear().env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in &t.stack.env {
        cmd.env(k, v);
    }
    let out = cmd
        .env("AIDOC_API_URL", t.stack.api.url())
        .env("AIDOC_BACKUP__TARGET__BACKEND", "s3")
        .env("AIDOC_BACKUP__TARGET__S3__ENDPOINT", &cfg.endpoint)
        .env("AIDOC_BACKUP__TARGET__S3__BUCKET", "aidoc-backups")
        .env("AIDOC_BACKUP__TARGET__S3__ACCESS_KEY", cfg.access_key.expose())
        .env("AIDOC_BACKUP__TARGET__S3__SECRET_KEY", cfg.secret_key.expose())
        .env("AIDOC_BACKUP__PG_BIN_DIR", aidoc_testkit::TestPostgres::shared().bin_dir())
        .output()
        .await
        .expect("aidoc-backup");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Every document with what identifies its content, by content hash.
async fn documents(t: &Ingest) -> Vec<Value> {
    let mut docs = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, list) = t.get(&format!("/api/v1/documents?limit=100&sort=title&cursor={cursor}")).await;
        assert_eq!(status, 200, "{list}");
        docs.extend(list["items"].as_array().unwrap_or_else(|| panic!("{list}")).iter().map(|d| {
            json!({ "id": d["id"], "title": d["title"], "sha256": d["sha256"], "status": d["status"],
                    "failure": d["failure"], "tags": d["tags"], "category_id": d["category_id"],
                    "chunk_count": d["chunk_count"], "page_count": d["page_count"] })
        }));
        match list["next_cursor"].as_str() {
            Some(next) if !next.is_empty() => cursor = next.to_owned(),
            _ => break,
        }
    }
    docs.sort_by_key(|d| d["sha256"].as_str().unwrap_or("").to_owned());
    docs
}

/// The ranked (document, chunk) pairs of `(query, mode)` searches; each must find something.
async fn searches(t: &Ingest, queries: &[(&str, &str)]) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (q, mode) in queries {
        let (status, r) = t.search(json!({ "query": q, "mode": mode })).await;
        assert_eq!(status, 200, "{r}");
        let hits = r["hits"].as_array().unwrap_or_else(|| panic!("{r}"));
        assert!(!hits.is_empty(), "{q}: no hits");
        out.push(
            hits.iter()
                .map(|h| {
                    (
                        h["document_id"].as_str().unwrap_or("").to_owned(),
                        h["chunk_id"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect(),
        );
    }
    out
}

/// Chunks with their text and vectors, as one digest, and their count.
async fn chunks_digest(t: &Ingest) -> (i64, String) {
    let db = t.stack.db.client().await;
    let row = db
        .query_one(
            "SELECT count(*), coalesce(md5(string_agg(id::text || document_id::text || text || embedding::text || tsv::text, ',' ORDER BY id)), '')
             FROM search.chunks",
            &[],
        )
        .await
        .expect("chunks");
    (row.get(0), row.get(1))
}

/// key → bytes of every blob in the document bucket.
async fn blobs(store: &dyn ObjectStore) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for o in store.list("blobs/").await.expect("list") {
        out.push((
            o.key.clone(),
            aidoc_storage::collect_bytes(store.get(&o.key).await.expect("get")).await.expect("read"),
        ));
    }
    out
}

async fn stop(p: &mut ServiceProcess) {
    p.signal(Signal::SIGTERM);
    p.wait_exit(Duration::from_secs(30)).await;
}

fn relaunch(t: &Ingest, name: &str) -> Launch {
    let mut l = Launch::new(name);
    for (k, v) in &t.stack.env {
        l = l.env(k, v.clone());
    }
    l
}

/// A full backup of the library in `t`, then everything dropped (services stopped, both schemas, every blob), a
/// damaged copy of the backup refused without a change, the backup restored and the services started again on it:
/// every document, chunk (text, vector, lexemes) and blob is back and the `queries` answer as before. Returns the
/// backup's name.
pub async fn full_backup_round_trip(t: &mut Ingest, queries: &[(&str, &str)]) -> String {
    let docs_bucket = t.s3.store("aidoc").await;
    // Keyword search plans from the lexeme statistics autovacuum keeps (the indexer reads them once a minute); the
    // "before" picture is taken with fresh ones, as the restore gathers them itself.
    t.stack.db.client().await.batch_execute("ANALYZE search.chunks").await.expect("analyze");
    stop(&mut t.stack.indexer).await;
    t.stack.indexer = relaunch(t, "indexer")
        .env("AIDOC_LISTEN_ADDR", t.stack.indexer.main_addr.to_string())
        .env("AIDOC_API_URL", t.stack.api.url())
        .env("AIDOC_PARSER_URL", t.stack.parser.url())
        .spawn();
    t.stack.indexer.wait_ready(crate::support::READY).await;
    let before_docs = documents(t).await;
    let before_search = searches(t, queries).await;
    let before_chunks = chunks_digest(t).await;
    let before_blobs = blobs(&docs_bucket).await;
    assert!(!before_docs.is_empty() && before_chunks.0 >= before_docs.len() as i64 / 2, "{before_chunks:?}");
    let distinct: std::collections::BTreeSet<&str> = before_docs.iter().filter_map(|d| d["sha256"].as_str()).collect();
    assert_eq!(before_blobs.len(), distinct.len(), "one blob per distinct content");

    let (ok, out) = backup_cli(t, &["full"]).await;
    assert!(ok, "{out}");
    let name = out.lines().next().unwrap_or_default().to_owned();
    assert!(name.ends_with("-full"), "{out}");

    // Drop everything: the services stop, both schemas go, the document bucket is emptied.
    for p in [&mut t.stack.gateway, &mut t.stack.indexer, &mut t.stack.api, &mut t.stack.backup] {
        stop(p).await;
    }
    let db = t.stack.db.client().await;
    db.batch_execute("DROP SCHEMA search CASCADE; DROP SCHEMA catalog CASCADE;").await.expect("drop");
    for (key, _) in &before_blobs {
        docs_bucket.delete(key).await.unwrap();
    }
    assert!(docs_bucket.list("").await.unwrap().is_empty());

    // A damaged backup is refused and changes nothing.
    let dump = t.s3.data_dir().join(format!("aidoc-backups/backups/{name}/database.dump"));
    let original = std::fs::read(&dump).expect("the dump is a file in the S3 server's folder");
    let mut damaged = original.clone();
    damaged[original.len() / 3] ^= 0x40;
    std::fs::write(&dump, &damaged).unwrap();
    let (ok, out) = backup_cli(t, &["restore", &name]).await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("failed verification, nothing was changed") && out.contains("database.dump: SHA-256"),
        "{out}"
    );
    let schemas: i64 = db
        .query_one("SELECT count(*) FROM pg_namespace WHERE nspname IN ('catalog', 'search')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(schemas, 0);
    assert!(docs_bucket.list("").await.unwrap().is_empty());
    std::fs::write(&dump, &original).unwrap();

    let (ok, out) = backup_cli(t, &["restore", "latest"]).await;
    assert!(ok, "{out}");
    assert!(out.contains(&format!("blobs: {} restored, 0 already present", before_blobs.len())), "{out}");

    // The services come back on the restored library.
    t.stack.api = relaunch(t, "api").spawn();
    t.stack.api.wait_ready(crate::support::READY).await;
    t.stack.indexer = relaunch(t, "indexer")
        .env("AIDOC_API_URL", t.stack.api.url())
        .env("AIDOC_PARSER_URL", t.stack.parser.url())
        .spawn();
    t.stack.indexer.wait_ready(crate::support::READY).await;
    t.stack.backup = relaunch(t, "backup").spawn();
    t.stack.backup.wait_ready(crate::support::READY).await;
    t.stack.gateway = relaunch(t, "gateway")
        .env("AIDOC_API_URL", t.stack.api.url())
        .env("AIDOC_INDEXER_URL", t.stack.indexer.url())
        .env("AIDOC_PARSER_URL", t.stack.parser.url())
        .env("AIDOC_BACKUP_URL", t.stack.backup.url())
        .spawn();
    t.stack.gateway.wait_ready(crate::support::READY).await;

    assert_eq!(documents(t).await, before_docs, "every document, with its status, tags and category");
    assert_eq!(chunks_digest(t).await, before_chunks, "every chunk, with its text, vector and lexemes");
    assert_eq!(blobs(&docs_bucket).await, before_blobs, "every blob, byte for byte");
    assert_eq!(searches(t, queries).await, before_search, "search answers as before");
    name
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_backup_brings_back_every_document_chunk_and_blob_and_the_same_search_results() {
    let _serial = crate::support::one_at_a_time().await;
    let mut t = Ingest::start(&[]).await;

    let http = t.stack.client(Duration::from_secs(60));
    let ops: Value = http
        .post(t.url("/api/v1/categories"))
        .json(&json!({ "name": "Ops" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let runbooks: Value = http
        .post(t.url("/api/v1/categories"))
        .json(&json!({ "name": "Runbooks", "parent_id": ops["id"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let runbooks_id = runbooks["id"].as_str().unwrap_or_else(|| panic!("{runbooks}")).to_owned();
    let (status, one) = t
        .upload(&[("lease.md", RUNBOOK.as_bytes().to_vec())], &[("category_id", &runbooks_id), ("tags", "ops, leases")])
        .await;
    assert_eq!(status, 202, "{one}");
    let (status, two) =
        t.upload(&[("备份.txt", NOTES.as_bytes().to_vec()), ("ranking.html", GUIDE.as_bytes().to_vec())], &[]).await;
    assert_eq!(status, 202, "{two}");
    let ids: Vec<String> = ids_of(&one).into_iter().chain(ids_of(&two)).collect();
    for d in t.settle(&ids, Duration::from_secs(180)).await {
        assert_eq!(d["status"], "ready", "{d:#}");
    }

    let name = full_backup_round_trip(
        &mut t,
        &[("PPR-4711", "keyword"), ("恢复之前校验", "hybrid"), ("how are passages ordered for a question", "semantic")],
    )
    .await;
    let resp = http.get(t.url(&format!("/api/v1/documents/{}/content", ids[0]))).send().await.unwrap();
    assert_eq!(resp.bytes().await.unwrap(), RUNBOOK.as_bytes());
    let before_docs = documents(&t).await;
    assert_eq!(before_docs.len(), 3);
    let scratch = tempfile::tempdir().unwrap();
    let archive = scratch.path().join("library.tar");
    let (ok, out) = backup_cli(&t, &["export", &archive.display().to_string()]).await;
    assert!(ok, "{out}");
    assert!(out.contains("exported 3 documents"), "{out}");

    // The verified restore test passes too, and is recorded.
    let (ok, out) = backup_cli(&t, &["verify", &name]).await;
    assert!(ok && out.contains("restore test passed"), "{out}");
    let (ok, out) = backup_cli(&t, &["list"]).await;
    assert!(ok && out.lines().any(|l| l.starts_with(&name) && l.ends_with("verified")), "{out}");

    // The library moves as an archive: delete every document, import the archive through the ingest path.
    for id in &ids {
        let resp = http.delete(t.url(&format!("/api/v1/documents/{id}"))).send().await.unwrap();
        assert_eq!(resp.status(), 204);
    }
    assert!(documents(&t).await.is_empty());
    let (ok, out) = backup_cli(&t, &["import", &archive.display().to_string(), "--wait", "3m"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("3 new documents, 0 already present") && out.contains("indexed: 3 ready, 0 failed"), "{out}");
    let imported = documents(&t).await;
    assert_eq!(imported.len(), 3);
    for (new, old) in imported.iter().zip(&before_docs) {
        assert_eq!(
            (&new["sha256"], &new["title"], &new["tags"], &new["status"]),
            (&old["sha256"], &old["title"], &old["tags"], &old["status"])
        );
        assert_ne!(new["id"], old["id"], "no internal ids travel");
    }
    // The category tree was found again by name (it survived in the catalog), and the runbook is in it.
    let lease = imported.iter().find(|d| d["title"] == "Lease runbook").expect("runbook");
    assert_eq!(lease["category_id"].as_str(), Some(runbooks_id.as_str()));
    let (_, r) = t.search(json!({ "query": "PPR-4711", "mode": "keyword" })).await;
    assert_eq!(r["hits"][0]["document_id"], lease["id"], "{r}");
    // Importing again adds nothing.
    let (ok, out) = backup_cli(&t, &["import", &archive.display().to_string()]).await;
    assert!(ok && out.contains("0 new documents, 3 already present"), "{out}");
}
