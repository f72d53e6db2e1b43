//! Upload → parse → chunk → embed → index → search, through the gateway,
//! with the object store on a real S3 server.

use crate::support::{Stack, start_stack};
use aidoc_storage::testing::S3Server;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const RUNBOOK: &str = "# Queue runbook\n\n## Error codes\n\nWhen the ingest queue reports PPR-9087 the worker \
    lost its lease; the job is retried by another worker. Inspect it with `aidoc jobs --state failed` and \
    read the file with std::fs::read before re-uploading.\n\n## Configuration\n\nThe setting \
    max_lease_seconds in config/indexer.toml bounds how long a job may run without a heartbeat.\n";

pub const CHINESE: &str = "数据库备份与恢复\n\n系统每天凌晨两点自动备份数据库，备份文件保留七天。\
    恢复之前必须先校验备份文件的校验和，校验失败的备份不会被恢复。\n\n向量检索使用余弦相似度对文本片段排序。\n";

pub const HTML: &str = "<!DOCTYPE html><html><head><title>Vector search</title></head><body><nav>menu</nav>\
    <main><h1>Vector search</h1><p>Semantic search embeds every passage with a multilingual sentence model \
    and ranks passages by cosine similarity to the embedded question.</p><pre><code>SELECT id FROM chunks \
    ORDER BY embedding &lt;=&gt; $1 LIMIT 10;</code></pre></main></body></html>";

pub struct Ingest {
    pub stack: Stack,
    pub s3: S3Server,
    pub http: reqwest::Client,
}

impl Ingest {
    pub async fn start(extra: &[(&str, &str)]) -> Ingest {
        let s3 = S3Server::start();
        s3.store("aidoc").await;
        let cfg = s3.config("aidoc");
        let endpoint = cfg.endpoint.clone();
        let mut env: Vec<(&str, &str)> = vec![
            ("AIDOC_STORAGE__BACKEND", "s3"),
            ("AIDOC_STORAGE__S3__ENDPOINT", &endpoint),
            ("AIDOC_STORAGE__S3__BUCKET", "aidoc"),
            ("AIDOC_STORAGE__S3__ACCESS_KEY", cfg.access_key.expose()),
            ("AIDOC_STORAGE__S3__SECRET_KEY", cfg.secret_key.expose()),
        ];
        env.extend_from_slice(extra);
        let stack = start_stack(&env).await;
        let http = stack.client(Duration::from_secs(300));
        Ingest { stack, s3, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.stack.gateway.url())
    }

    pub async fn upload(&self, files: &[(&str, Vec<u8>)], fields: &[(&str, &str)]) -> (u16, Value) {
        let mut form = Form::new();
        for (name, body) in files {
            form = form.part("file", Part::bytes(body.clone()).file_name(name.to_string()));
        }
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let resp = self.http.post(self.url("/api/v1/documents")).multipart(form).send().await.expect("upload");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self.http.get(self.url(path)).send().await.expect("get");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn search(&self, body: Value) -> (u16, Value) {
        let resp = self.http.post(self.url("/api/v1/search")).json(&body).send().await.expect("search");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Waits until every listed document is `ready` or `failed`; returns them.
    pub async fn settle(&self, ids: &[String], timeout: Duration) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let mut docs = Vec::new();
            for id in ids {
                docs.push(self.get(&format!("/api/v1/documents/{id}")).await.1);
            }
            if docs.iter().all(|d| matches!(d["status"].as_str(), Some("ready" | "failed"))) {
                return docs;
            }
            assert!(started.elapsed() < timeout, "documents did not settle: {docs:#?}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

pub fn ids_of(upload: &Value) -> Vec<String> {
    upload["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["document"]["id"].as_str().map(str::to_owned))
        .collect()
}

pub fn top_docs(results: &Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["document_id"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_become_searchable_by_identifier_chinese_and_meaning() {
    let _serial = crate::support::one_at_a_time().await;
    let mut t = Ingest::start(&[]).await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let (status, body) = t
        .upload(
            &[
                ("runbook.md", RUNBOOK.as_bytes().to_vec()),
                ("备份.txt", CHINESE.as_bytes().to_vec()),
                ("vector.html", HTML.as_bytes().to_vec()),
                ("scan.png", png.clone()),
            ],
            &[("tags", "ops, Handbook")],
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let items = body["items"].as_array().unwrap();
    assert_eq!(items[3]["error"]["code"], "unsupported_format", "{body}");
    let ids = ids_of(&body);
    assert_eq!(ids.len(), 3);
    assert_eq!(items[0]["document"]["tags"], json!(["handbook", "ops"]));

    // A PNG alone is refused outright, and nothing of it stays in storage.
    let (status, body) = t.upload(&[("scan.png", png)], &[]).await;
    assert_eq!((status, body["code"].as_str()), (415, Some("unsupported_format")), "{body}");

    // The same bytes again: the existing document, nothing stored twice.
    let (status, again) = t.upload(&[("copy-of-runbook.md", RUNBOOK.as_bytes().to_vec())], &[]).await;
    assert_eq!(status, 202);
    assert_eq!((again["items"][0]["created"].as_bool(), ids_of(&again)), (Some(false), vec![ids[0].clone()]));

    let docs = t.settle(&ids, Duration::from_secs(120)).await;
    for d in &docs {
        assert_eq!(d["status"], "ready", "{d:#}");
        assert!(d["chunk_count"].as_u64().unwrap() >= 1, "{d:#}");
    }
    assert_eq!(docs[1]["language"], "zh");
    assert_eq!(docs[0]["title"], "Queue runbook", "the document's own title replaces the file name");
    assert_eq!(docs[2]["title"], "Vector search");
    let blobs: Vec<_> = walk(t.s3.data_dir()).into_iter().filter(|p| p.contains("blobs/sha256/")).collect();
    assert_eq!(blobs.len(), 3, "one blob per distinct upload: {blobs:?}");
    assert!(walk(t.s3.data_dir()).iter().all(|p| !p.contains("staging/")), "no staging leftovers");

    // Exact identifiers, whole and in part.
    for q in ["PPR-9087", "9087", "std::fs::read", "max_lease_seconds", "config/indexer.toml"] {
        let (status, r) = t.search(json!({ "query": q, "mode": "keyword" })).await;
        if status != 200 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let log = t.stack.indexer.drain_output().join("\n");
            panic!("{r}\nindexer:\n{log}");
        }
        assert_eq!(top_docs(&r).first(), Some(&ids[0]), "{q}: {r:#}");
    }
    let (_, r) = t.search(json!({ "query": "PPR-9087", "mode": "keyword" })).await;
    let hit = &r["hits"][0];
    assert!(hit["snippet"].as_str().unwrap().contains("<mark>PPR-9087</mark>"), "{hit}");
    assert_eq!(hit["heading_path"], json!(["Queue runbook", "Error codes"]), "{hit}");

    // The document's structure, each heading pointing at its first chunk.
    let (status, outline) = t.get(&format!("/api/v1/documents/{}/outline", ids[0])).await;
    assert_eq!(status, 200, "{outline}");
    assert_eq!(outline["source"], "headings");
    let entries: Vec<(&str, u64)> = outline["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["title"].as_str().unwrap(), e["level"].as_u64().unwrap()))
        .collect();
    assert_eq!(entries, [("Queue runbook", 1), ("Error codes", 2), ("Configuration", 2)], "{outline}");
    let (status, _) = t.get(&format!("/api/v1/documents/{}/outline", uuid::Uuid::new_v4())).await;
    assert_eq!(status, 404);

    // Chinese, by keyword and in every mode.
    for mode in ["keyword", "semantic", "hybrid"] {
        let (_, r) = t.search(json!({ "query": "数据库备份", "mode": mode })).await;
        assert_eq!(top_docs(&r).first(), Some(&ids[1]), "{mode}: {r:#}");
    }
    let (_, r) = t.search(json!({ "query": "数据库备份", "mode": "keyword" })).await;
    assert!(r["hits"][0]["snippet"].as_str().unwrap().contains("<mark>"), "{r}");
    // A question's function words do not decide the match.
    let (_, r) = t.search(json!({ "query": "数据库备份需要多久做一次？", "mode": "keyword" })).await;
    assert_eq!(top_docs(&r).first(), Some(&ids[1]), "{r:#}");

    // Once the library has lexeme statistics, keyword queries are planned with them (rare terms pick
    // the candidates, weighted by rarity): the same questions find the same documents.
    let db = t.stack.db.client().await;
    db.batch_execute("ANALYZE search.chunks").await.expect("analyze");
    let stats = aidoc_indexer::keyword::TermStats::load(&db).await.expect("stats").expect("analysed");
    assert!(stats.rows >= 3.0 && stats.frequency.contains_key("9087"), "{stats:?}");
    tokio::time::sleep(Duration::from_secs(6)).await;
    for (q, doc) in [("PPR-9087", &ids[0]), ("config/indexer.toml", &ids[0]), ("数据库备份", &ids[1])] {
        let (status, r) = t.search(json!({ "query": q, "mode": "keyword" })).await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(top_docs(&r).first(), Some(doc), "{q}: {r:#}");
    }

    // By meaning, with no shared keyword.
    let (_, r) = t.search(json!({ "query": "how are passages ranked against a question", "mode": "semantic" })).await;
    assert_eq!(top_docs(&r).first(), Some(&ids[2]), "{r:#}");

    // Filters: by document and by tag.
    let (_, r) = t.search(json!({ "query": "backup", "filters": { "document_ids": [ids[2]] } })).await;
    assert!(r["hits"].as_array().unwrap().iter().all(|h| h["document_id"] == ids[2].as_str()), "{r}");
    let (_, r) = t.search(json!({ "query": "PPR-9087", "filters": { "tags": ["missing-tag"] } })).await;
    assert_eq!(r["hits"], json!([]));

    // Bad queries get typed errors; query syntax is just text.
    let (status, r) = t.search(json!({ "query": "   " })).await;
    assert_eq!((status, r["code"].as_str()), (400, Some("invalid_argument")));
    let (status, r) = t.search(json!({ "query": "x".repeat(1001) })).await;
    assert_eq!((status, r["code"].as_str()), (400, Some("invalid_argument")));
    let (status, r) = t.search(json!({ "query": "a & b | !c <-> (d):* ' \\" })).await;
    assert_eq!(status, 200, "{r}");
    let (status, _) = t.get("/api/v1/search?q=PPR-9087&mode=keyword&limit=1").await;
    assert_eq!(status, 200);

    // Cursor paging walks the same ranked list without repeats.
    let (_, p1) = t.search(json!({ "query": "backup queue search", "limit": 1 })).await;
    let cursor = p1["next_cursor"].as_str().expect("a second page").to_owned();
    let (_, p2) = t.search(json!({ "query": "backup queue search", "limit": 1, "cursor": cursor })).await;
    assert_ne!(p1["hits"][0]["chunk_id"], p2["hits"][0]["chunk_id"]);

    // The chunk and its document read back for citation.
    let chunk_id = hit["chunk_id"].as_str().unwrap();
    let (status, c) = t.get(&format!("/api/v1/chunks/{chunk_id}?neighbours=1")).await;
    assert_eq!(status, 200);
    assert!(c["chunk"]["text"].as_str().unwrap().contains("PPR-9087"));
    let (_, list) = t.get(&format!("/api/v1/documents/{}/chunks", ids[0])).await;
    assert_eq!(list["total_chunks"].as_u64(), docs[0]["chunk_count"].as_u64());

    // The original comes back byte for byte.
    let resp = t.http.get(t.url(&format!("/api/v1/documents/{}/content", ids[1]))).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''%E5%A4%87%E4%BB%BD.txt")
    );
    assert_eq!(resp.bytes().await.unwrap(), CHINESE.as_bytes());

    // Delete: the document, its chunks and its blob go.
    let resp = t.http.delete(t.url(&format!("/api/v1/documents/{}", ids[0]))).send().await.unwrap();
    assert_eq!(resp.status(), 204);
    let (_, r) = t.search(json!({ "query": "PPR-9087", "mode": "keyword" })).await;
    assert_eq!(r["hits"], json!([]));
    let (status, _) = t.get(&format!("/api/v1/documents/{}", ids[0])).await;
    assert_eq!(status, 404);
    let blobs: Vec<_> = walk(t.s3.data_dir()).into_iter().filter(|p| p.contains("blobs/sha256/")).collect();
    assert_eq!(blobs.len(), 2, "{blobs:?}");
    let db = t.stack.db.client().await;
    let orphans: i64 = db
        .query_one("SELECT count(*) FROM search.chunks WHERE document_id = $1::text::uuid", &[&ids[0]])
        .await
        .unwrap()
        .get(0);
    assert_eq!(orphans, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_over_the_limit_get_413_and_store_nothing() {
    let _serial = crate::support::one_at_a_time().await;
    let t = Ingest::start(&[("AIDOC_GATEWAY__UPLOAD_LIMIT", "64KiB"), ("AIDOC_GATEWAY__STORAGE_SWEEP_INTERVAL", "1s")])
        .await;
    let big = vec![b'a'; 200 * 1024];
    let (status, body) = t.upload(&[("big.txt", big)], &[]).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("too_large")), "{body}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let left: Vec<_> =
        walk(t.s3.data_dir()).into_iter().filter(|p| p.contains("blobs/") || p.contains("staging/")).collect();
    assert!(left.is_empty(), "nothing stored: {left:?}");
    let (status, body) = t.get("/api/v1/documents").await;
    assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(0)));

    // The sweeper clears what crashed callers leave behind: a staging object of an upload that never
    // finished (two days old), a blob whose removal was claimed and abandoned, and a blob stored by a
    // gateway that died before recording its document. A fresh staging object (an upload in progress)
    // and the blob of a real document stay.
    use aidoc_storage::ObjectStore;
    let (status, kept) = t.upload(&[("kept.md", b"# Kept\n\nA document whose blob stays.\n".to_vec())], &[]).await;
    assert_eq!(status, 202, "{kept}");
    let kept_id = ids_of(&kept).remove(0);
    let store = t.s3.store("aidoc").await;
    let orphan = format!("blobs/sha256/ef/01/ef01{}", "0".repeat(60));
    store.put(&orphan, aidoc_storage::bytes_stream(&b"stored, never recorded"[..]), None).await.expect("put");
    let two_days_ago = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() - 172_800;
    let old = format!("staging/{}", uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, two_days_ago, 0)));
    let fresh = format!("staging/{}", uuid::Uuid::now_v7());
    let abandoned = format!("blobs/sha256/ab/cd/abcd{}", "0".repeat(60));
    for key in [&old, &fresh, &abandoned] {
        store.put(key, aidoc_storage::bytes_stream(&b"left behind"[..]), None).await.expect("put");
    }
    let db = t.stack.db.client().await;
    db.execute(
        "INSERT INTO catalog.blob_deletions (blob_key, token, expires_at) VALUES ($1, gen_random_uuid(), now() - interval '1 minute')",
        &[&abandoned],
    )
    .await
    .unwrap();
    let swept = async {
        loop {
            let claims: i64 = db.query_one("SELECT count(*) FROM catalog.blob_deletions", &[]).await.unwrap().get(0);
            let old_gone = store.head(&old).await.expect("head").is_none();
            let blob_gone = store.head(&abandoned).await.expect("head").is_none();
            let orphan_gone = store.head(&orphan).await.expect("head").is_none();
            if claims == 0 && old_gone && blob_gone && orphan_gone {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), swept).await.expect("the sweeper removes leftovers");
    assert!(store.head(&fresh).await.expect("head").is_some(), "an upload in progress is left alone");
    let resp = t.http.get(t.url(&format!("/api/v1/documents/{kept_id}/content"))).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.bytes().await.unwrap().as_ref(), b"# Kept\n\nA document whose blob stays.\n");
    let blobs = walk(t.s3.data_dir()).into_iter().filter(|p| p.contains("blobs/sha256/")).count();
    assert_eq!(blobs, 1, "only the document's blob is left");
}

/// Every file under `dir`, as a path string.
pub fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out
}

/// A long generated manual: enough chunks that a job takes a while.
fn long_markdown(n: usize) -> Vec<u8> {
    let mut s = format!("# Manual {n}\n\n");
    for section in 0..12 {
        s.push_str(&format!("## Section {n}.{section}\n\n"));
        for para in 0..8 {
            s.push_str(&format!(
                "Paragraph {para} of section {section} in manual {n} explains how the service keeps working when \
                 a node restarts, which settings bound its memory, and how operators read the metrics that \
                 describe the queue, the parser and the search latency. Identifier MAN-{n}{section}{para:02}.\n\n"
            ));
        }
    }
    s.into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_indexer_mid_run_loses_nothing() {
    let _serial = crate::support::one_at_a_time().await;
    let mut t = Ingest::start(&[("AIDOC_WORKER__LEASE", "5s")]).await;
    let files: Vec<(String, Vec<u8>)> = (0..4).map(|i| (format!("manual-{i}.md"), long_markdown(i))).collect();
    let refs: Vec<(&str, Vec<u8>)> = files.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
    let (status, body) = t.upload(&refs, &[]).await;
    assert_eq!(status, 202, "{body}");
    let ids = ids_of(&body);
    assert_eq!(ids.len(), 4);

    // Kill the indexer while it works on a document.
    let started = Instant::now();
    loop {
        let (_, list) = t.get("/api/v1/documents").await;
        let busy = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| matches!(d["status"].as_str(), Some("parsing" | "indexing")));
        if busy {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no job started: {list:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    t.stack.indexer.signal(nix::sys::signal::Signal::SIGKILL);
    let _ = t.stack.indexer.wait_exit(Duration::from_secs(10)).await;
    let _replacement = t.stack.spawn_indexer().await;

    let docs = t.settle(&ids, Duration::from_secs(240)).await;
    for d in &docs {
        assert_eq!(d["status"], "ready", "{d:#}");
    }
    let db = t.stack.db.client().await;
    let rows = db
        .query(
            "SELECT d.id::text, d.chunk_count, count(c.id), count(DISTINCT c.chunk_index), coalesce(max(c.chunk_index), -1)
             FROM catalog.documents d LEFT JOIN search.chunks c ON c.document_id = d.id GROUP BY d.id, d.chunk_count",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        let (id, expected, n, distinct, max): (String, i32, i64, i64, i32) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        assert!(expected > 10, "{id}: {expected} chunks");
        assert_eq!(
            (n, distinct, max + 1),
            (i64::from(expected), i64::from(expected), expected),
            "{id}: exactly one copy"
        );
    }
    let attempts: i32 = db.query_one("SELECT max(attempts) FROM catalog.ingest_jobs", &[]).await.unwrap().get(0);
    assert_eq!(attempts, 2, "the interrupted job was taken over");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shared_corpus_ingests_with_typed_failures_and_comes_back_whole_from_a_full_backup() {
    let _serial = crate::support::one_at_a_time().await;
    let Some(corpus) = aidoc_testkit::paths::corpus_dir() else {
        assert!(std::env::var_os("CI").is_none(), "../shared/corpus is missing in CI");
        eprintln!("skipped: ../shared/corpus is not next to this checkout");
        return;
    };
    let mut t = Ingest::start(&[("AIDOC_WORKER__CONCURRENCY", "2")]).await;
    let mut files = Vec::new();
    for sub in ["pdf", "docx"] {
        for e in std::fs::read_dir(corpus.join(sub)).unwrap().flatten() {
            let p = e.path();
            if matches!(p.extension().and_then(|x| x.to_str()), Some("pdf" | "docx")) {
                files.push((p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()));
            }
        }
    }
    files.sort();
    let mut ids = Vec::new();
    for batch in files.chunks(10) {
        let refs: Vec<(&str, Vec<u8>)> = batch.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        let (status, body) = t.upload(&refs, &[]).await;
        assert_eq!(status, 202, "{body}");
        ids.extend(ids_of(&body));
    }
    assert_eq!(ids.len(), files.len(), "every corpus file is a distinct document");
    let docs = t.settle(&ids, Duration::from_secs(900)).await;
    let mut ready = 0;
    for d in &docs {
        match d["status"].as_str() {
            Some("ready") => ready += 1,
            _ => {
                let code = d["failure"]["code"].as_str().unwrap_or("");
                eprintln!("failed: {} — {code}: {}", d["file_name"], d["failure"]["message"]);
                assert!(
                    matches!(
                        code,
                        "encrypted_pdf" | "encrypted_document" | "corrupt_file" | "unsupported_format" | "too_large"
                    ),
                    "untyped failure for {}: {d:#}",
                    d["file_name"]
                );
            }
        }
    }
    eprintln!("corpus: {ready} of {} ready", docs.len());
    let locked =
        docs.iter().find(|d| d["file_name"] == "poi-encrypted-password-pass.docx").expect("the encrypted DOCX");
    assert_eq!(locked["failure"]["code"], "encrypted_document", "{locked:#}");
    assert!(ready * 10 >= docs.len() * 9, "at least 90% of the corpus indexes: {ready}/{}", docs.len());
    // A phrase from a known corpus document finds it.
    let (_, r) = t.search(json!({ "query": "trace-based just-in-time type specialization", "mode": "hybrid" })).await;
    assert!(
        r["hits"].as_array().unwrap().iter().take(3).any(|h| h["document_title"]
            .as_str()
            .unwrap_or("")
            .to_lowercase()
            .contains("trace")),
        "{r:#}"
    );

    // The indexed corpus survives a full backup, the loss of everything and the restore.
    crate::backup::full_backup_round_trip(
        &mut t,
        &[
            ("trace-based just-in-time type specialization", "hybrid"),
            ("Classic Set Theory", "keyword"),
            ("实数 有理数", "hybrid"),
            ("how does a compiler find hot loops to optimise", "semantic"),
        ],
    )
    .await;
}
