//! `just bench-quality`: retrieval quality of keyword, semantic and hybrid
//! search on the shared corpus (`../shared/corpus`) plus the project's own
//! documents in `bench/quality/docs`, judged by `bench/quality/queries.json`.
//!
//! Starts every service for real (like the integration tests), uploads every
//! PDF/DOCX of the corpus and every file of `bench/quality/docs`, waits until
//! each is ready or failed, runs each query in every mode with limit 10 and
//! judges each hit by content: a hit is relevant to a passage when its
//! document is the passage's file and its chunk text contains one of the
//! passage's phrases (whitespace-normalised, case-insensitive). Prints nDCG@10
//! (binary gains, each passage counted once), Recall@10 and MRR@10 per mode and
//! kind, and writes the same figures to `target/quality-report.json`.
//!
//! `bench/quality/check_queries.py` validates the phrases against the reference
//! texts with the same normalisation as [`normalise`].

#[allow(dead_code)]
mod common;
#[path = "../tests/integration/support.rs"]
#[allow(dead_code)]
mod support;

use common::{files_to_upload, warn_if_stale};

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const MODES: [&str; 3] = ["keyword", "semantic", "hybrid"];
const K: usize = 10;
const KINDS: [&str; 4] = ["identifier", "chinese", "natural", "keyword"];

/// Whitespace runs become one space, whitespace next to a CJK character goes
/// (extractors disagree on spaces between Han characters), lower case.
/// `bench/quality/check_queries.py` mirrors this.
fn normalise(text: &str) -> String {
    let mut collapsed = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !collapsed.is_empty() && !is_cjk(c) && !collapsed.chars().next_back().is_some_and(is_cjk) {
            collapsed.push(' ');
        }
        pending_space = false;
        collapsed.extend(c.to_lowercase());
    }
    collapsed
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x2FFF | 0x3000..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

struct Passage {
    file: String,
    phrases: Vec<String>,
}

struct Query {
    id: String,
    text: String,
    kind: String,
    lang: String,
    passages: Vec<Passage>,
}

fn load_queries(path: &Path) -> Vec<Query> {
    let raw = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(doc["version"], 1, "{}: unknown version", path.display());
    doc["queries"]
        .as_array()
        .expect("queries")
        .iter()
        .map(|q| Query {
            id: q["id"].as_str().unwrap_or("?").to_owned(),
            text: q["query"].as_str().expect("query").to_owned(),
            kind: q["kind"].as_str().unwrap_or("?").to_owned(),
            lang: q["lang"].as_str().unwrap_or("?").to_owned(),
            passages: q["relevant"]
                .as_array()
                .expect("relevant")
                .iter()
                .map(|r| Passage {
                    file: r["file"].as_str().expect("file").to_owned(),
                    phrases: match &r["contains"] {
                        Value::String(s) => vec![normalise(s)],
                        Value::Array(a) => a.iter().filter_map(Value::as_str).map(normalise).collect(),
                        other => panic!("{}: bad contains {other}", q["id"]),
                    },
                })
                .collect(),
        })
        .collect()
}

struct Client {
    http: reqwest::Client,
    base: String,
    failed_searches: std::sync::atomic::AtomicUsize,
}

impl Client {
    async fn get(&self, path: &str) -> (u16, Value) {
        let mut attempt = 0;
        loop {
            match self.http.get(format!("{}{path}", self.base)).send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    return (status, resp.json().await.unwrap_or(Value::Null));
                }
                Err(e) if attempt < 3 => {
                    eprintln!("GET {path}: {e}; retrying");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => panic!("GET {path}: {e}"),
            }
        }
    }

    async fn search(&self, query: &str, mode: &str) -> Value {
        let body = json!({ "query": query, "mode": mode, "limit": K });
        let resp = self.http.post(format!("{}/api/v1/search", self.base)).json(&body).send().await.expect("search");
        let status = resp.status().as_u16();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if status != 200 {
            self.failed_searches.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            eprintln!("search {mode} {query:?}: {status} {v}");
            return json!({ "hits": [] });
        }
        v
    }

    async fn upload(&self, batch: &[(String, PathBuf)]) -> Value {
        let mut form = Form::new();
        for (key, path) in batch {
            let body = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let name = key.rsplit('/').next().unwrap_or(key).to_owned();
            form = form.part("file", Part::bytes(body).file_name(name));
        }
        let resp =
            self.http.post(format!("{}/api/v1/documents", self.base)).multipart(form).send().await.expect("upload");
        let status = resp.status().as_u16();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 202, "upload: {v}");
        v
    }
}

#[derive(Default, Clone, Copy)]
struct Scores {
    ndcg: f64,
    recall: f64,
    rr: f64,
}

#[derive(Default)]
struct Sum {
    n: usize,
    ndcg: f64,
    recall: f64,
    rr: f64,
}

impl Sum {
    fn add(&mut self, s: Scores) {
        self.n += 1;
        self.ndcg += s.ndcg;
        self.recall += s.recall;
        self.rr += s.rr;
    }
    fn mean(&self) -> Scores {
        let n = self.n.max(1) as f64;
        Scores { ndcg: self.ndcg / n, recall: self.recall / n, rr: self.rr / n }
    }
}

/// `target/`: the parent of the running binary's profile folder.
fn target_dir() -> PathBuf {
    aidoc_testkit::paths::profile_dir().parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("target"))
}

fn discount(rank: usize) -> f64 {
    1.0 / ((rank + 2) as f64).log2()
}

#[tokio::main]
async fn main() {
    let Some(corpus) = common::corpus_or_skip() else {
        return;
    };
    let bench_dir = aidoc_testkit::paths::workspace_root().join("bench/quality");
    let queries = load_queries(&bench_dir.join("queries.json"));
    let files = files_to_upload(&corpus, &bench_dir.join("docs"));
    warn_if_stale();

    let started = Instant::now();
    let mut stack = support::start_stack(&[("AIDOC_LOG__LEVEL", "warn"), ("AIDOC_WORKER__CONCURRENCY", "2")]).await;
    let client = Client {
        http: stack.client(Duration::from_secs(300)),
        base: stack.gateway.url(),
        failed_searches: Default::default(),
    };

    // Upload; remember which file(s) each document is (identical bytes share one document).
    let mut keys_of: HashMap<String, Vec<String>> = HashMap::new();
    let mut doc_of: BTreeMap<String, String> = BTreeMap::new();
    let mut rejected = Vec::new();
    for batch in files.chunks(8) {
        let body = client.upload(batch).await;
        let items = body["items"].as_array().expect("items");
        assert_eq!(items.len(), batch.len(), "{body}");
        for ((key, _), item) in batch.iter().zip(items) {
            match item["document"]["id"].as_str() {
                Some(id) => {
                    keys_of.entry(id.to_owned()).or_default().push(key.clone());
                    doc_of.insert(key.clone(), id.to_owned());
                }
                None => rejected.push(format!("{key}: {}", item["error"])),
            }
        }
    }
    println!("uploaded {} files as {} documents in {:.0?}", files.len(), keys_of.len(), started.elapsed());
    for r in &rejected {
        println!("rejected at upload: {r}");
    }

    // Wait until every document is ready or failed.
    let timeout = Duration::from_secs(
        std::env::var("AIDOC_QUALITY_TIMEOUT_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(3600),
    );
    let ids: Vec<String> = keys_of.keys().cloned().collect();
    let settle_started = Instant::now();
    let mut last_report = Instant::now();
    let docs: HashMap<String, Value> = loop {
        let mut docs = HashMap::new();
        for id in &ids {
            docs.insert(id.clone(), client.get(&format!("/api/v1/documents/{id}")).await.1);
        }
        let pending = docs.values().filter(|d| !matches!(d["status"].as_str(), Some("ready" | "failed"))).count();
        if pending == 0 {
            break docs;
        }
        if settle_started.elapsed() > timeout {
            for (id, d) in &docs {
                if !matches!(d["status"].as_str(), Some("ready" | "failed")) {
                    eprintln!("not settled: {:?} {} ({id})", keys_of[id], d["status"]);
                }
            }
            eprintln!("error: {pending} documents did not settle within {timeout:?}");
            std::process::exit(1);
        }
        if last_report.elapsed() > Duration::from_secs(60) {
            println!(
                "waiting: {pending} of {} documents not settled after {:.0?}",
                ids.len(),
                settle_started.elapsed()
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let mut failed = Vec::new();
    let mut chunks_total = 0u64;
    for (id, d) in &docs {
        if d["status"] == "failed" {
            failed.push(format!(
                "{}: {} — {}",
                keys_of[id].join(", "),
                d["failure"]["code"].as_str().unwrap_or("?"),
                d["failure"]["message"].as_str().unwrap_or("")
            ));
        }
        chunks_total += d["chunk_count"].as_u64().unwrap_or(0);
    }
    failed.sort();
    println!(
        "indexed: {} ready, {} failed, {chunks_total} chunks, in {:.0?}",
        docs.len() - failed.len(),
        failed.len(),
        settle_started.elapsed()
    );
    for f in &failed {
        println!("failed: {f}");
    }

    // Every chunk of every document a query names: the text cache, and which
    // passages no chunk contains (extraction differences: fix the judgment).
    let mut text_of: HashMap<String, String> = HashMap::new();
    let mut chunk_ids_of: HashMap<String, Vec<String>> = HashMap::new();
    let named: HashSet<&str> = queries.iter().flat_map(|q| q.passages.iter().map(|p| p.file.as_str())).collect();
    // AIDOC_QUALITY_DUMP=1: the chunks of those documents as text files, to fix judgments by.
    let dump_dir = std::env::var_os("AIDOC_QUALITY_DUMP").map(|_| target_dir().join("quality-chunks"));
    for file in &named {
        let Some(id) = doc_of.get(*file) else { continue };
        if chunk_ids_of.contains_key(id) {
            continue;
        }
        let mut from = 0u64;
        let mut list = Vec::new();
        let mut dump = String::new();
        loop {
            let (status, page) = client.get(&format!("/api/v1/documents/{id}/chunks?from={from}&limit=100")).await;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            if status != 200 || items.is_empty() {
                break;
            }
            for c in &items {
                let cid = c["chunk_id"].as_str().unwrap_or_default().to_owned();
                text_of.insert(cid.clone(), normalise(c["text"].as_str().unwrap_or_default()));
                list.push(cid);
                if dump_dir.is_some() {
                    dump.push_str(&format!(
                        "\n----- chunk {} (pages {}-{}) -----\n{}\n",
                        c["chunk_index"],
                        c["page_start"],
                        c["page_end"],
                        c["text"].as_str().unwrap_or_default()
                    ));
                }
            }
            from += items.len() as u64;
            if from >= page["total_chunks"].as_u64().unwrap_or(0) {
                break;
            }
        }
        chunk_ids_of.insert(id.clone(), list);
        if let Some(dir) = &dump_dir {
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(dir.join(format!("{}.txt", file.replace('/', "_"))), dump);
        }
    }
    let mut unreachable = Vec::new();
    for q in &queries {
        for p in &q.passages {
            let reachable = doc_of.get(&p.file).and_then(|id| chunk_ids_of.get(id)).is_some_and(|ids| {
                ids.iter().any(|c| text_of.get(c).is_some_and(|t| p.phrases.iter().any(|ph| t.contains(ph.as_str()))))
            });
            if !reachable {
                let status = doc_of.get(&p.file).and_then(|id| docs.get(id)).map(|d| d["status"].to_string());
                unreachable.push(json!({ "query": q.id, "file": p.file, "status": status, "phrases": p.phrases }));
            }
        }
    }

    // Run every query in every mode.
    let mut sums: BTreeMap<(String, String), Sum> = BTreeMap::new();
    let mut per_query = Vec::new();
    let mut misses: Vec<String> = Vec::new();
    let search_started = Instant::now();
    let mut latency: HashMap<&str, Vec<f64>> = HashMap::new();
    for q in &queries {
        let n_rel = q.passages.len();
        let ideal: f64 = (0..n_rel.min(K)).map(discount).sum();
        let mut modes = serde_json::Map::new();
        for mode in MODES {
            let t = Instant::now();
            let results = client.search(&q.text, mode).await;
            latency.entry(mode).or_default().push(t.elapsed().as_secs_f64() * 1000.0);
            let hits = results["hits"].as_array().cloned().unwrap_or_default();
            let mut credited: HashSet<usize> = HashSet::new();
            let mut dcg = 0.0;
            let mut first: Option<usize> = None;
            let mut ranks = Vec::new();
            let mut top = Vec::new();
            for (rank, hit) in hits.iter().take(K).enumerate() {
                let doc = hit["document_id"].as_str().unwrap_or_default();
                let keys = keys_of.get(doc).cloned().unwrap_or_default();
                let cid = hit["chunk_id"].as_str().unwrap_or_default().to_owned();
                if !text_of.contains_key(&cid) {
                    let (_, c) = client.get(&format!("/api/v1/chunks/{cid}")).await;
                    text_of.insert(cid.clone(), normalise(c["chunk"]["text"].as_str().unwrap_or_default()));
                }
                let text = &text_of[&cid];
                let matched: Vec<usize> = (0..n_rel)
                    .filter(|&i| keys.iter().any(|k| *k == q.passages[i].file))
                    .filter(|&i| q.passages[i].phrases.iter().any(|ph| text.contains(ph.as_str())))
                    .collect();
                top.push(json!({
                    "file": keys.first().cloned().unwrap_or_else(|| doc.to_owned()),
                    "pages": [hit["page_start"], hit["page_end"]],
                    "relevant": !matched.is_empty(),
                    "text": text.chars().take(100).collect::<String>(),
                }));
                if matched.is_empty() {
                    continue;
                }
                first.get_or_insert(rank);
                ranks.push(rank + 1);
                if matched.iter().any(|i| !credited.contains(i)) {
                    dcg += discount(rank);
                    credited.extend(matched);
                }
            }
            let s = Scores {
                ndcg: if ideal > 0.0 { dcg / ideal } else { 0.0 },
                recall: credited.len() as f64 / n_rel.max(1) as f64,
                rr: first.map(|r| 1.0 / (r + 1) as f64).unwrap_or(0.0),
            };
            sums.entry((mode.to_owned(), q.kind.clone())).or_default().add(s);
            sums.entry((mode.to_owned(), "all".to_owned())).or_default().add(s);
            if s.recall == 0.0 {
                misses.push(format!(
                    "{:<9} {} [{}] {:?} → top: {}",
                    mode,
                    q.id,
                    q.kind,
                    q.text,
                    top.iter().take(3).map(|t| t["file"].as_str().unwrap_or("?")).collect::<Vec<_>>().join(", ")
                ));
            }
            modes.insert(
                mode.to_owned(),
                json!({ "ndcg": s.ndcg, "recall": s.recall, "rr": s.rr, "relevant_ranks": ranks, "top": top }),
            );
        }
        per_query.push(
            json!({ "id": q.id, "query": q.text, "kind": q.kind, "lang": q.lang, "passages": n_rel, "modes": modes }),
        );
    }

    // Failed searches: show why, from the services' own logs.
    if client.failed_searches.load(std::sync::atomic::Ordering::Relaxed) > 0 {
        for p in [&mut stack.gateway, &mut stack.indexer] {
            let name = p.name.clone();
            let errors: Vec<String> = p.drain_output().iter().filter(|l| l.contains("ERROR")).cloned().collect();
            for line in errors.iter().rev().take(5).rev() {
                eprintln!("[{name}] {line}");
            }
        }
    }

    // Report.
    println!();
    println!(
        "retrieval quality: {} queries, {} documents ({} failed), top {K}, {:.0?} of searching",
        queries.len(),
        docs.len(),
        failed.len(),
        search_started.elapsed()
    );
    println!("{:<9} {:<11} {:>3} {:>8} {:>10} {:>7}", "mode", "kind", "n", "nDCG@10", "Recall@10", "MRR@10");
    let mut table = Vec::new();
    for mode in MODES {
        for kind in KINDS.iter().copied().chain(["all"]) {
            let Some(sum) = sums.get(&(mode.to_owned(), kind.to_owned())) else { continue };
            let m = sum.mean();
            println!("{mode:<9} {kind:<11} {:>3} {:>8.3} {:>10.3} {:>7.3}", sum.n, m.ndcg, m.recall, m.rr);
            table.push(json!({ "mode": mode, "kind": kind, "queries": sum.n, "ndcg_at_10": m.ndcg, "recall_at_10": m.recall, "mrr_at_10": m.rr }));
        }
    }
    let overall = |mode: &str| sums.get(&(mode.to_owned(), "all".to_owned())).map(Sum::mean).unwrap_or_default();
    let fmt = |f: fn(&Scores) -> f64| {
        MODES.iter().map(|m| format!("{m} {:.3}", f(&overall(m)))).collect::<Vec<_>>().join(" / ")
    };
    let summary = format!(
        "quality ({} queries, top {K}): nDCG@10 {} | Recall@10 {} | MRR@10 {}",
        queries.len(),
        fmt(|s| s.ndcg),
        fmt(|s| s.recall),
        fmt(|s| s.rr)
    );
    let p50 = |mode: &str| {
        let mut v = latency.get(mode).cloned().unwrap_or_default();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    println!();
    println!(
        "search latency p50 ms: {}",
        MODES.iter().map(|m| format!("{m} {:.0}", p50(m))).collect::<Vec<_>>().join(" / ")
    );
    if !misses.is_empty() {
        println!();
        println!("queries with no relevant passage in the top {K}:");
        for m in &misses {
            println!("  {m}");
        }
    }
    if !unreachable.is_empty() {
        println!();
        println!("passages no chunk contains (extraction differences or failed documents: fix the judgment):");
        for u in &unreachable {
            println!(
                "  {} {} {} {}",
                u["query"].as_str().unwrap_or(""),
                u["file"].as_str().unwrap_or(""),
                u["status"],
                u["phrases"]
            );
        }
    }
    println!();
    println!("{summary}");

    let report = json!({
        "version": 1,
        "summary": summary,
        "k": K,
        "queries": queries.len(),
        "documents": { "uploaded": files.len(), "distinct": docs.len(), "failed": failed, "rejected": rejected, "chunks": chunks_total },
        "table": table,
        "latency_p50_ms": MODES.iter().map(|m| (m.to_string(), json!(p50(m)))).collect::<serde_json::Map<_, _>>(),
        "unreachable_passages": unreachable,
        "per_query": per_query,
    });
    let out = target_dir().join("quality-report.json");
    match std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap_or_default()) {
        Ok(()) => println!("report: {}", out.display()),
        Err(e) => eprintln!("could not write {}: {e}", out.display()),
    }
    drop(stack);
}
