//! `just bench-ingest`: end-to-end ingest throughput, upload → `ready`, for
//! the shared corpus, with the time split by stage.
//!
//! Starts the stack from the release binaries, uploads every corpus PDF and
//! DOCX (plus `bench/quality/docs`) in batches, and waits until each is ready
//! or failed. Prints documents and pages per minute and per second, and the
//! time spent per stage: store (the uploads through the gateway into object
//! storage), and parse, chunk, embed and write as the indexer measured them
//! (`aidoc_ingest_stage_duration_seconds`, read from its `/metrics`).
//! `AIDOC_WORKER__CONCURRENCY` (default 2) sets the indexer's parallelism.

#[allow(dead_code)]
mod common;
#[path = "../tests/integration/support.rs"]
#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// `aidoc_ingest_stage_duration_seconds_sum` per stage from a Prometheus text page.
fn stage_sums(metrics: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("aidoc_ingest_stage_duration_seconds_sum{") else { continue };
        let Some((labels, value)) = rest.split_once("} ") else { continue };
        let stage = labels
            .split(',')
            .find_map(|kv| kv.strip_prefix("stage=\""))
            .map(|v| v.trim_end_matches('"').to_owned())
            .unwrap_or_default();
        *out.entry(stage).or_insert(0.0) += value.trim().parse::<f64>().unwrap_or(0.0);
    }
    out
}

#[tokio::main]
async fn main() {
    let Some(corpus) = common::corpus_or_skip() else {
        return;
    };
    common::warn_if_stale();
    let concurrency = std::env::var("AIDOC_WORKER__CONCURRENCY").unwrap_or_else(|_| "2".into());
    let stack =
        support::start_stack(&[("AIDOC_LOG__LEVEL", "warn"), ("AIDOC_WORKER__CONCURRENCY", &concurrency)]).await;
    let http = stack.client(Duration::from_secs(300));
    let base = stack.gateway.url();
    let files = common::files_to_upload(&corpus, &aidoc_testkit::paths::workspace_root().join("bench/quality/docs"));
    let bytes: u64 = files.iter().map(|(_, p)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum();

    let started = Instant::now();
    let (ids, store_time) = common::upload_files(&http, &base, &files).await;
    let docs = common::settle(&http, &base, &ids).await;
    let ready = docs.iter().filter(|d| d["status"] == "ready").count() as u64;
    let failed = docs.len() as u64 - ready;
    let pages: u64 =
        docs.iter().filter(|d| d["status"] == "ready").map(|d| d["page_count"].as_u64().unwrap_or(0)).sum();
    let chunks: u64 = docs.iter().map(|d| d["chunk_count"].as_u64().unwrap_or(0)).sum();
    let wall = started.elapsed().as_secs_f64();
    let metrics = reqwest::get(format!("{}/metrics", stack.indexer.admin_url()))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let stages = stage_sums(&metrics);

    println!();
    println!(
        "ingest of {} files ({:.1} MiB), indexer concurrency {concurrency}: {ready} ready, {failed} failed, {pages} pages, {chunks} chunks in {wall:.1} s",
        files.len(),
        bytes as f64 / 1048576.0
    );
    println!(
        "throughput: {:.1} documents/min, {:.0} pages/min ({:.2} pages/s), {:.1} chunks/s",
        (ready + failed) as f64 * 60.0 / wall,
        pages as f64 * 60.0 / wall,
        pages as f64 / wall,
        chunks as f64 / wall
    );
    let total: f64 = store_time.as_secs_f64() + stages.values().sum::<f64>();
    println!("time by stage (summed over workers; share of all stage time):");
    println!("  {:<6} {:>8.1} s {:>5.1}%", "store", store_time.as_secs_f64(), 100.0 * store_time.as_secs_f64() / total);
    for (stage, secs) in &stages {
        println!("  {stage:<6} {secs:>8.1} s {:>5.1}%", 100.0 * secs / total);
    }
}
