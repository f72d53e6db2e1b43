//! `just bench-search`: search latency at ≥ 100 000 chunks, through the
//! gateway and as bare SQL on the same database, side by side.
//!
//! Builds the index from real text: the shared corpus and `bench/quality/docs`
//! go through the real pipeline once (parse, chunk, embed), then the database
//! copies those documents and their chunks until there are at least
//! `AIDOC_BENCH_CHUNKS` (default 100 000) chunks. Copied vectors get a small
//! random offset so the HNSW graph is not full of identical points; the text
//! and its lexemes are real. The queries are those of
//! `bench/quality/queries.json`. Every mode runs every query sequentially
//! (one client), then hybrid runs with four concurrent clients for
//! throughput. The bare SQL is the indexer's own (`aidoc_indexer::search`),
//! with the query vectors computed beforehand; the time to embed a query is
//! printed on its own line, and the `+embed` columns add each query's own
//! embedding time to its bare SQL time (the floor of any semantic search). With `AIDOC_BENCH_HOLD` set, the run stops after
//! building the index and keeps the database up for inspection.

#[allow(dead_code)]
mod common;
#[path = "../tests/integration/support.rs"]
#[allow(dead_code)]
mod support;

use aidoc_text::tokenize::query_tokens;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const MODES: [&str; 3] = ["keyword", "semantic", "hybrid"];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Figures {
    p50: f64,
    p95: f64,
    p99: f64,
    qps: f64,
}

fn figures(mut ms: Vec<f64>, wall: Duration) -> Figures {
    ms.sort_by(f64::total_cmp);
    Figures {
        p50: percentile(&ms, 0.50),
        p95: percentile(&ms, 0.95),
        p99: percentile(&ms, 0.99),
        qps: ms.len() as f64 / wall.as_secs_f64(),
    }
}

async fn upload_corpus(http: &reqwest::Client, base: &str) -> Vec<String> {
    let corpus = aidoc_testkit::paths::corpus_dir().expect("corpus");
    let docs = aidoc_testkit::paths::workspace_root().join("bench/quality/docs");
    let files = common::files_to_upload(&corpus, &docs);
    let (ids, _) = common::upload_files(http, base, &files).await;
    common::settle(http, base, &ids).await;
    ids
}

/// Copies the indexed documents and their chunks until there are `target` chunks.
async fn replicate(db: &tokio_postgres::Client, target: i64) -> (i64, i64) {
    let count = |sql: &'static str| async move { db.query_one(sql, &[]).await.expect(sql).get::<_, i64>(0) };
    let base = count("SELECT count(*) FROM search.chunks").await;
    assert!(base > 0, "nothing was indexed");
    let copies = ((target - base) as f64 / base as f64).ceil().max(0.0) as i32;
    db.batch_execute("DROP INDEX IF EXISTS search.chunks_embedding_384").await.expect("drop hnsw");
    for n in 1..=copies {
        db.execute(
            "INSERT INTO catalog.documents (id, title, file_name, media_type, size_bytes, sha256, blob_key, status,
                 page_count, chunk_count, language, title_source)
             SELECT md5(d.id::text || $1::text)::uuid, d.title, d.file_name, d.media_type, d.size_bytes,
                 md5(d.id::text || $1::text) || md5($1::text || d.id::text), d.blob_key, d.status, d.page_count,
                 d.chunk_count, d.language, d.title_source
             FROM catalog.documents d JOIN search.indexed_documents o ON o.document_id = d.id
             WHERE NOT EXISTS (SELECT 1 FROM catalog.documents x WHERE x.id = md5(d.id::text || $1::text)::uuid)",
            &[&n.to_string()],
        )
        .await
        .expect("copy documents");
        db.execute(
            "INSERT INTO search.chunks (id, document_id, chunk_index, text, heading_path, page_start, page_end,
                 block_kinds, token_count, language, tsv, embedding, dims, model_id)
             SELECT gen_random_uuid(), md5(c.document_id::text || $1::text)::uuid, c.chunk_index, c.text,
                 c.heading_path, c.page_start, c.page_end, c.block_kinds, c.token_count, c.language, c.tsv,
                 c.embedding + (SELECT array_agg((random() - 0.5) * 0.02)::real[] FROM generate_series(1, c.dims))::vector,
                 c.dims, c.model_id
             FROM search.chunks c JOIN search.indexed_documents o ON o.document_id = c.document_id",
            &[&n.to_string()],
        )
        .await
        .expect("copy chunks");
    }
    let started = Instant::now();
    db.batch_execute(
        "SET maintenance_work_mem = '1GB';
         CREATE INDEX chunks_embedding_384 ON search.chunks
             USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dims = 384",
    )
    .await
    .expect("rebuild the HNSW index");
    // VACUUM refuses to run inside the implicit transaction of a batch.
    for sql in ["VACUUM ANALYZE search.chunks", "ANALYZE catalog.documents"] {
        db.batch_execute(sql).await.expect(sql);
    }
    println!("HNSW index built in {:.1?}", started.elapsed());
    (count("SELECT count(*) FROM search.chunks").await, count("SELECT count(*) FROM catalog.documents").await)
}

fn queries() -> Vec<String> {
    let path = aidoc_testkit::paths::workspace_root().join("bench/quality/queries.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("queries.json")).expect("json");
    v["queries"].as_array().expect("queries").iter().map(|q| q["query"].as_str().expect("query").to_owned()).collect()
}

async fn gateway_round(
    http: &reqwest::Client,
    base: &str,
    qs: &[String],
    mode: &str,
    rounds: usize,
) -> (Vec<f64>, Duration) {
    let mut ms = Vec::new();
    let started = Instant::now();
    for _ in 0..rounds {
        for q in qs {
            let t = Instant::now();
            let resp = http
                .post(format!("{base}/api/v1/search"))
                .json(&json!({ "query": q, "mode": mode, "limit": 10 }))
                .send()
                .await
                .expect("search");
            assert_eq!(resp.status(), 200, "{mode} {q}");
            let _ = resp.bytes().await;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    (ms, started.elapsed())
}

#[tokio::main]
async fn main() {
    if common::corpus_or_skip().is_none() {
        return;
    }
    common::warn_if_stale();
    let target: i64 = std::env::var("AIDOC_BENCH_CHUNKS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let rounds: usize = std::env::var("AIDOC_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let stack = support::start_stack(&[("AIDOC_LOG__LEVEL", "warn"), ("AIDOC_WORKER__CONCURRENCY", "2")]).await;
    let http = stack.client(Duration::from_secs(120));
    let base = stack.gateway.url();
    let started = Instant::now();
    upload_corpus(&http, &base).await;
    println!("corpus indexed through the pipeline in {:.0?}", started.elapsed());
    let db = stack.db.client().await;
    let (chunks, documents) = replicate(&db, target).await;
    let qs = queries();
    println!("index: {chunks} chunks in {documents} documents; {} queries × {rounds} rounds per mode", qs.len());
    if std::env::var_os("AIDOC_BENCH_HOLD").is_some() {
        // For studying query plans by hand: the database lives as long as this process.
        println!("holding the index at {} (gateway {base}); stop with Ctrl-C", stack.db.url);
        std::future::pending::<()>().await;
    }

    // Warm both paths.
    for mode in MODES {
        gateway_round(&http, &base, &qs, mode, 1).await;
    }

    // Bare SQL inputs, prepared outside the timing.
    let model = aidoc_embed::from_config(&aidoc_embed::EmbedConfig {
        model_dir: aidoc_testkit::paths::model_dir(),
        ..Default::default()
    })
    .expect("model");
    let mut embed_ms = Vec::new();
    let mut vectors = Vec::new();
    for q in &qs {
        let t = Instant::now();
        vectors.push(pgvector::Vector::from(model.embed_query(q).expect("embed")));
        embed_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    // The keyword plans as the indexer makes them, with the same statistics and budget.
    let stats = aidoc_indexer::keyword::TermStats::load(&db).await.expect("lexeme statistics");
    let search_cfg = aidoc_indexer::config::SearchConfig::default();
    let plans: Vec<Option<aidoc_indexer::keyword::KeywordQuery>> = qs
        .iter()
        .map(|q| {
            aidoc_indexer::keyword::KeywordQuery::plan(
                &query_tokens(q),
                stats.as_ref(),
                search_cfg.keyword_candidate_budget as f64,
            )
        })
        .collect();
    let rerank = search_cfg.keyword_rerank as i64;
    let semantic_sql = aidoc_indexer::search::semantic_sql(384, "", "");
    let depth: i64 = 100;

    let mut bare = std::collections::HashMap::new();
    // The same, plus the time this query took to embed in-process: the floor of any semantic search.
    let mut floor = std::collections::HashMap::new();
    for mode in MODES {
        let mut ms = Vec::new();
        let mut with_embedding = Vec::new();
        let t0 = Instant::now();
        for _ in 0..rounds {
            for (i, _) in qs.iter().enumerate() {
                let t = Instant::now();
                let mut ids: Vec<uuid::Uuid> = Vec::new();
                if let (true, Some(plan)) = (mode != "semantic", &plans[i]) {
                    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                        vec![&plan.any, &plan.candidates, &rerank, &depth];
                    params.extend(plan.weighted.iter().map(|(t, _)| t as &(dyn tokio_postgres::types::ToSql + Sync)));
                    let rows = db.query(&plan.sql("", ""), &params).await.expect("keyword");
                    ids.extend(rows.iter().take(10).map(|r| r.get::<_, uuid::Uuid>(0)));
                }
                if mode != "keyword" {
                    db.batch_execute("BEGIN; SET LOCAL hnsw.ef_search = 100").await.expect("begin");
                    let rows = db.query(&semantic_sql, &[&vectors[i], &depth]).await.expect("semantic");
                    db.batch_execute("COMMIT").await.expect("commit");
                    ids.extend(rows.iter().take(10).map(|r| r.get::<_, uuid::Uuid>(0)));
                }
                ids.truncate(10);
                db.query(aidoc_indexer::search::HITS_SQL, &[&ids]).await.expect("hits");
                let took = t.elapsed().as_secs_f64() * 1000.0;
                ms.push(took);
                with_embedding.push(if mode == "keyword" { took } else { took + embed_ms[i] });
            }
        }
        floor.insert(mode, figures(with_embedding, t0.elapsed()));
        bare.insert(mode, figures(ms, t0.elapsed()));
    }

    println!();
    println!("search at {chunks} chunks — latency in ms, one client");
    println!(
        "{:<9} {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} {:>8} {:>8} | {:>9} | {:>11} {:>9}",
        "mode", "p50", "p95", "p99", "q/s", "bare p50", "p95", "p99", "q/s", "p95 ratio", "+embed p95", "p95 ratio"
    );
    for mode in MODES {
        let (ms, wall) = gateway_round(&http, &base, &qs, mode, rounds).await;
        let g = figures(ms, wall);
        let b = &bare[mode];
        let f = &floor[mode];
        println!(
            "{mode:<9} {:>8.1} {:>8.1} {:>8.1} {:>8.1} | {:>8.1} {:>8.1} {:>8.1} {:>8.1} | {:>8.2}× | {:>11.1} {:>8.2}×",
            g.p50,
            g.p95,
            g.p99,
            g.qps,
            b.p50,
            b.p95,
            b.p99,
            b.qps,
            g.p95 / b.p95,
            f.p95,
            g.p95 / f.p95
        );
    }
    let e = figures(embed_ms, Duration::from_secs(1));
    println!(
        "query embedding in-process (part of semantic and hybrid; not in bare SQL, added per query in +embed): p50 {:.1} ms, p95 {:.1} ms",
        e.p50, e.p95
    );

    // Throughput with four concurrent clients.
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..4 {
        let (http, base, qs) = (http.clone(), base.clone(), qs.clone());
        tasks.push(tokio::spawn(async move {
            let mine: Vec<String> = qs.iter().skip(c).step_by(4).cloned().collect();
            gateway_round(&http, &base, &mine, "hybrid", rounds).await.0
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client"));
    }
    let g = figures(all, t0.elapsed());
    println!(
        "hybrid, 4 concurrent clients: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, {:.1} q/s",
        g.p50, g.p95, g.p99, g.qps
    );
}
