//! The `openai` embedding provider end to end: the indexer embeds passages and queries through an
//! OpenAI-compatible endpoint (the real model behind real HTTP), stores that model's identity beside the
//! vectors, rides out an outage of the endpoint without losing a document, and switching back to the local
//! model re-embeds the whole library.

use crate::ingest::{CHINESE, HTML, Ingest, RUNBOOK, ids_of, top_docs};
use aidoc_testkit::embeddings::EmbeddingsServer;
use aidoc_testkit::service::Signal;
use serde_json::json;
use std::time::{Duration, Instant};

const SERVED_MODEL: &str = "e5-small-served";
const KEY: &str = "sk-aidoc-e2e-0123456789";

async fn column(t: &Ingest, sql: &str) -> Vec<String> {
    let db = t.stack.db.client().await;
    db.query(sql, &[]).await.expect(sql).iter().map(|r| r.get::<_, String>(0)).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

fn parse_vector(text: &str) -> Vec<f32> {
    text.trim_matches(['[', ']']).split(',').map(|x| x.parse().expect("a number")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openai_compatible_provider_embeds_through_the_endpoint_and_a_switch_back_re_embeds() {
    let _serial = crate::support::one_at_a_time().await;
    let server = EmbeddingsServer::start(&aidoc_testkit::paths::model_dir(), SERVED_MODEL, KEY);
    let secrets = tempfile::tempdir().expect("dir");
    let key_file = secrets.path().join("embedding_api_key");
    std::fs::write(&key_file, format!("{KEY}\n")).expect("key file");
    let key_path = key_file.display().to_string();
    let mut t = Ingest::start(&[
        ("AIDOC_EMBEDDING__PROVIDER", "openai"),
        ("AIDOC_EMBEDDING__OPENAI__BASE_URL", &server.base_url),
        ("AIDOC_EMBEDDING__OPENAI__MODEL", SERVED_MODEL),
        ("AIDOC_EMBEDDING__OPENAI__DIMENSIONS", "384"),
        ("AIDOC_EMBEDDING__OPENAI__API_KEY_FILE", &key_path),
        ("AIDOC_EMBEDDING__OPENAI__QUERY_PREFIX", "query: "),
        ("AIDOC_EMBEDDING__OPENAI__PASSAGE_PREFIX", "passage: "),
        // Two attempts a second apart: an outage that spent attempts would fail the document quickly.
        ("AIDOC_JOBS__MAX_ATTEMPTS", "2"),
        ("AIDOC_JOBS__RETRY_BACKOFF", "1s"),
    ])
    .await;

    // Passages go through the endpoint, prefixed, one vector per chunk, under the served model's identity.
    let (status, body) = t
        .upload(
            &[
                ("runbook.md", RUNBOOK.as_bytes().to_vec()),
                ("备份.txt", CHINESE.as_bytes().to_vec()),
                ("vector.html", HTML.as_bytes().to_vec()),
            ],
            &[],
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let ids = ids_of(&body);
    let docs = t.settle(&ids, Duration::from_secs(120)).await;
    assert!(docs.iter().all(|d| d["status"] == "ready"), "{docs:#?}");
    let chunks: u64 = docs.iter().map(|d| d["chunk_count"].as_u64().unwrap()).sum();
    let passages = server.inputs();
    assert_eq!(passages.len() as u64, chunks, "one input per chunk: {passages:#?}");
    assert!(passages.iter().all(|p| p.starts_with("passage: ")), "{passages:#?}");
    assert!(passages.iter().any(|p| p.contains("PPR-9087")) && passages.iter().any(|p| p.contains("数据库")));
    let served_id = format!("openai:{SERVED_MODEL}");
    assert_eq!(column(&t, "SELECT DISTINCT model_id FROM search.chunks").await, [served_id.as_str()]);
    assert_eq!(column(&t, "SELECT id FROM search.embedding_models WHERE active").await, [served_id.as_str()]);
    // The stored vectors are the endpoint's vectors of those inputs, each chunk's its own (int8 activations
    // are quantized per batch, so a text embedded alone differs from its batched vector in the third decimal).
    let served: Vec<Vec<f32>> = passages.iter().map(|p| server.embed(p)).collect();
    let mut matched = Vec::new();
    for stored in column(&t, "SELECT embedding::text FROM search.chunks").await {
        let stored = parse_vector(&stored);
        assert_eq!(stored.len(), 384);
        let (best, cos) = served
            .iter()
            .map(|v| cosine(&stored, v))
            .enumerate()
            .fold((0, f32::MIN), |acc, (i, c)| if c > acc.1 { (i, c) } else { acc });
        assert!(cos > 0.99, "a stored vector matches no served one (best cosine {cos})");
        matched.push(best);
    }
    matched.sort_unstable();
    matched.dedup();
    assert_eq!(matched.len(), passages.len(), "every chunk has the vector of its own input");

    // Queries are embedded by the endpoint too, and semantic search finds by meaning in English and Chinese.
    let (status, r) = t.search(json!({ "query": "how are passages ranked by meaning", "mode": "semantic" })).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(top_docs(&r).first(), Some(&ids[2]), "{r:#}");
    let (_, r) = t.search(json!({ "query": "备份文件保存多长时间", "mode": "semantic" })).await;
    assert_eq!(top_docs(&r).first(), Some(&ids[1]), "{r:#}");
    let seen = server.inputs();
    assert!(seen.contains(&"query: how are passages ranked by meaning".to_owned()), "{seen:#?}");
    assert!(seen.contains(&"query: 备份文件保存多长时间".to_owned()), "{seen:#?}");

    // The endpoint goes down: semantic search says so with a typed 503, keyword search carries on, hybrid
    // search answers from the keyword index and says so, and a document uploaded meanwhile waits (the
    // indexer claims nothing until the endpoint answers its probes, so no attempts are spent) and becomes
    // ready once the endpoint is back.
    server.set_available(false);
    let (status, r) = t.search(json!({ "query": "how are passages ranked by meaning", "mode": "semantic" })).await;
    assert_eq!((status, r["code"].as_str()), (503, Some("unavailable")), "{r}");
    let (status, r) = t.search(json!({ "query": "PPR-9087", "mode": "keyword" })).await;
    assert_eq!((status, top_docs(&r).first()), (200, Some(&ids[0])), "{r}");
    let (status, r) = t.search(json!({ "query": "PPR-9087", "mode": "hybrid" })).await;
    assert_eq!((status, r["mode"].as_str(), top_docs(&r).first()), (200, Some("keyword"), Some(&ids[0])), "{r}");
    assert!(r["hits"].as_array().unwrap().iter().all(|h| h["semantic_rank"].is_null()), "{r}");
    let note = "# Outage note\n\nThe embeddings endpoint was unreachable for ten minutes on Tuesday; uploads \
        queued meanwhile were indexed when it came back.\n";
    let refused = server.refused();
    let (status, body) = t.upload(&[("outage.md", note.as_bytes().to_vec())], &[]).await;
    assert_eq!(status, 202, "{body}");
    let late = ids_of(&body).remove(0);
    let started = Instant::now();
    // one failed attempt, then the worker's probes (1 s, 2 s apart); with attempts spent instead, the second
    // attempt would fail the document and nothing would ask the endpoint again
    while server.refused() < refused + 3 {
        assert!(started.elapsed() < Duration::from_secs(60), "the indexer never tried the endpoint");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, d) = t.get(&format!("/api/v1/documents/{late}")).await;
    assert_ne!(d["status"], "ready", "{d:#}");
    assert_ne!(d["status"], "failed", "an outage is retried, not a failure: {d:#}");
    server.set_available(true);
    let d = t.settle(std::slice::from_ref(&late), Duration::from_secs(120)).await.remove(0);
    assert_eq!(d["status"], "ready", "{d:#}");
    let (_, r) =
        t.search(json!({ "query": "what happened when the embeddings endpoint was down", "mode": "semantic" })).await;
    assert_eq!(top_docs(&r).first(), Some(&late), "{r:#}");

    // Re-indexing a document and uploading a copy of it in other bytes reuse the stored vectors of its
    // unchanged chunks: the endpoint is not asked again.
    let asked = server.inputs().len();
    let indexed_at = "SELECT indexed_at::text FROM search.indexed_documents ORDER BY document_id";
    let before_reindex = column(&t, indexed_at).await;
    let resp = t.http.post(t.url(&format!("/api/v1/documents/{}/reindex", ids[0]))).send().await.expect("reindex");
    assert_eq!(resp.status(), 202);
    let started = Instant::now();
    while column(&t, indexed_at).await == before_reindex {
        assert!(started.elapsed() < Duration::from_secs(60), "the document was not indexed again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, body) = t.upload(&[("runbook-copy.md", format!("{RUNBOOK}\n\n").into_bytes())], &[]).await;
    assert_eq!((status, body["items"][0]["created"].as_bool()), (202, Some(true)), "{body}");
    let copy = t.settle(&ids_of(&body), Duration::from_secs(60)).await.remove(0);
    assert_eq!((copy["status"].as_str(), &copy["chunk_count"]), (Some("ready"), &docs[0]["chunk_count"]), "{copy:#}");
    assert_eq!(server.inputs().len(), asked, "nothing embedded again: {:#?}", &server.inputs()[asked..]);
    let (_, metrics) = aidoc_testkit::service::http_get(&format!("{}/metrics", t.stack.indexer.admin_url()), &[]).await;
    let reused: f64 = metrics
        .lines()
        .find(|l| l.starts_with("aidoc_embed_reused_total"))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no reuse counter in {metrics}"));
    let runbook_chunks = docs[0]["chunk_count"].as_u64().unwrap() as f64;
    assert!(reused >= 2.0 * runbook_chunks, "re-index and copy reused {reused} vectors");

    // Back to the local model: the new indexer finds vectors of another model and re-embeds every document.
    t.stack.indexer.signal(Signal::SIGTERM);
    assert_eq!(t.stack.indexer.wait_exit(Duration::from_secs(30)).await, Some(0));
    let before = server.inputs().len();
    let listen = t.stack.indexer.main_addr.to_string();
    let mut local = aidoc_testkit::service::Launch::new("indexer");
    for (k, v) in t.stack.env.iter().filter(|(k, _)| !k.starts_with("AIDOC_EMBEDDING__OPENAI__")) {
        local = local.env(k, v.clone());
    }
    t.stack.indexer = local
        .env("AIDOC_EMBEDDING__PROVIDER", "local")
        .env("AIDOC_LISTEN_ADDR", listen)
        .env("AIDOC_API_URL", t.stack.api.url())
        .env("AIDOC_PARSER_URL", t.stack.parser.url())
        .spawn();
    t.stack.indexer.wait_ready(crate::support::READY).await;
    let all: Vec<String> = ids.iter().cloned().chain([late.clone(), copy["id"].as_str().unwrap().to_owned()]).collect();
    let started = Instant::now();
    let local_id = loop {
        let models = column(&t, "SELECT DISTINCT model_id FROM search.indexed_documents").await;
        let docs = t.settle(&all, Duration::from_secs(120)).await;
        if models.len() == 1 && models[0] != served_id && docs.iter().all(|d| d["status"] == "ready") {
            break models[0].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(180), "not re-embedded: {models:?} {docs:#?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(column(&t, "SELECT DISTINCT model_id FROM search.chunks").await, [local_id.as_str()]);
    assert_eq!(column(&t, "SELECT id FROM search.embedding_models WHERE active").await, [local_id]);
    assert_eq!(server.inputs().len(), before, "the local model no longer calls the endpoint");
    let (_, r) = t.search(json!({ "query": "备份文件保存多长时间", "mode": "semantic" })).await;
    assert_eq!(top_docs(&r).first(), Some(&ids[1]), "{r:#}");
}
