//! Embedding throughput of the local model on 128-token chunks (English and Chinese) at batch sizes 1, 8
//! and 32, with load time and resident memory: once with one session using every thread, once with one
//! single-threaded session per thread fed by as many callers (the indexer's default).
//!
//!     cargo bench -p aidoc-embed --bench throughput
//!
//! Model folder: `$AIDOC_EMBEDDING__MODEL_DIR`, else `<repo>/.aidoc/models`. Threads: `$AIDOC_EMBED_THREADS`,
//! else one per core. Seconds per measurement: `$AIDOC_BENCH_SECS` (default 5). Chunk length in tokens:
//! `$AIDOC_BENCH_TOKENS` (default 128). Texts per call: `$AIDOC_BENCH_BATCHES` (default `1,8,32`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aidoc_embed::{Embedder, LocalEmbedder, LocalOptions};

const EN: &str = "The indexer claims an ingest job, streams the blob to the parser, splits the parsed document \
    into chunks that remember their heading path and page, embeds every chunk, and replaces the document's \
    chunks in one transaction. A retry after a crash leaves exactly one copy. Configure the connection pool \
    with max_connections and idle_timeout; the health check runs every ten seconds and marks the service not \
    ready when the database stops answering. Backups run nightly with pg_dump and are verified by restoring \
    them into a scratch database before the old ones are pruned. ";
const ZH: &str = "索引服务领取导入任务，把文件流式发送给解析服务，将解析后的文档切分成记得标题路径和页码的片段，\
    为每个片段计算向量，并在一个事务中替换该文档的全部片段。崩溃后重试只会留下一份副本。\
    通过 max_connections 和 idle_timeout 配置数据库连接池；健康检查每十秒运行一次，数据库不再响应时服务被标记为未就绪。\
    备份每晚用 pg_dump 执行，并在清理旧备份之前恢复到临时数据库中加以验证。";

fn model_dir() -> PathBuf {
    std::env::var_os("AIDOC_EMBEDDING__MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.aidoc/models"))
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU time of the whole process (all threads), from /proc/self/stat (utime + stime, in 1/100 s ticks).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // fields[0] is the state (field 3); utime and stime are fields 14 and 15
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// `count` distinct texts of exactly `tokens` tokens each (prefix and special tokens included), cut from
/// rotations of `base`.
fn chunks(e: &LocalEmbedder, base: &str, count: usize, tokens: usize) -> Vec<String> {
    let chars: Vec<char> = base.chars().collect();
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let start = (i * 37) % chars.len();
        let rotated: String = chars[start..].iter().chain(chars[..start].iter()).chain(chars.iter()).collect();
        // grow until the token count reaches `tokens`, by characters
        let mut end = 0;
        let mut step = 64;
        let taken: Vec<char> = rotated.chars().collect();
        loop {
            let n = e.token_ids("passage: ", &taken[..end].iter().collect::<String>()).map_or(0, |t| t.len());
            if n == tokens {
                break;
            }
            if n > tokens {
                end -= step;
                step = (step / 2).max(1);
            }
            end = (end + step).min(taken.len());
        }
        out.push(taken[..end].iter().collect());
    }
    out
}

/// (chunks per wall-clock second, chunks per CPU-second) with `callers` threads embedding at once.
fn measure(e: &LocalEmbedder, texts: &[String], batch: usize, callers: usize, secs: f64) -> (f64, f64) {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let _ = e.embed_passages(&refs[..batch]); // warm-up (sizes the arena)
    let started = Instant::now();
    let cpu_started = cpu_secs();
    let done: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..callers)
            .map(|caller| {
                let refs = &refs;
                scope.spawn(move || {
                    let mut done = 0usize;
                    let mut i = caller;
                    while started.elapsed() < Duration::from_secs_f64(secs) || done < 2 * batch {
                        let from = (i * batch) % (refs.len() - batch + 1);
                        let v = e.embed_passages(&refs[from..from + batch]).expect("embedding works");
                        assert_eq!(v.len(), batch);
                        done += batch;
                        i += callers;
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("bench thread")).sum()
    });
    let wall = started.elapsed().as_secs_f64();
    (done as f64 / wall, done as f64 / (cpu_secs() - cpu_started))
}

/// Latencies (ms: p50, p95, max) of queries made every 50 ms while another thread embeds batches of 8
/// passages without pause.
fn query_latency_under_ingest(e: &LocalEmbedder, texts: &[String], secs: f64) -> (f64, f64, f64) {
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut latencies: Vec<f64> = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let from = (i * 8) % (refs.len() - 8 + 1);
                e.embed_passages(&refs[from..from + 8]).expect("embedding works");
                i += 1;
            }
        });
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let mut out = Vec::new();
        while started.elapsed() < Duration::from_secs_f64(secs) {
            let t = Instant::now();
            e.embed_query("how do I configure the connection pool size").expect("query");
            out.push(t.elapsed().as_secs_f64() * 1000.0);
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        out
    });
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), at(1.0))
}

fn main() {
    let dir = model_dir();
    if !dir.join("model.json").is_file() {
        println!("skipped: run scripts/fetch-model.sh (no model in {})", dir.display());
        return;
    }
    let threads = std::env::var("AIDOC_EMBED_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(1));
    let tokens: usize = std::env::var("AIDOC_BENCH_TOKENS").ok().and_then(|s| s.parse().ok()).unwrap_or(128);
    let secs: f64 = std::env::var("AIDOC_BENCH_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5.0);
    let batches: Vec<usize> = std::env::var("AIDOC_BENCH_BATCHES")
        .ok()
        .map(|s| s.split(',').filter_map(|b| b.trim().parse().ok()).filter(|&b| b > 0).collect())
        .filter(|b: &Vec<usize>| !b.is_empty())
        .unwrap_or_else(|| vec![1, 8, 32]);
    let loadavg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at start: {}", loadavg.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    let mut layouts = vec![1usize];
    if threads > 1 {
        layouts.push(threads);
    }
    for sessions in layouts {
        let rss_before = rss_mib();
        let started = Instant::now();
        let options = LocalOptions { threads, sessions, query_session: false, batch_size: 32, verify_checksums: true };
        let e = LocalEmbedder::load(&dir, &options).expect("the model loads");
        let load = started.elapsed();
        println!(
            "model {} | {threads} threads in {sessions} session(s), {sessions} caller(s) | load {:.2} s (checksums \
             included) | RSS {:.0} MiB before, {:.0} MiB after load",
            e.model_id(),
            load.as_secs_f64(),
            rss_before,
            rss_mib()
        );
        for (lang, base) in [("en", EN), ("zh", ZH)] {
            let texts = chunks(&e, base, 64, tokens);
            for &batch in &batches {
                let (rate, per_cpu) = measure(&e, &texts, batch, sessions, secs);
                println!(
                    "  {lang} {tokens}-token chunks, batch {batch:>2}: {rate:6.1} chunks/s  ({per_cpu:5.1} per \
                     CPU-second)"
                );
            }
        }
        println!("  RSS after the runs: {:.0} MiB", rss_mib());
    }
    // a search while the indexer ingests: the query waits for the running pass, unless it has its own session
    for query_session in [false, true] {
        let options = LocalOptions { threads, sessions: 1, query_session, batch_size: 8, verify_checksums: false };
        let e = LocalEmbedder::load(&dir, &options).expect("the model loads");
        let texts = chunks(&e, EN, 64, tokens);
        let (p50, p95, max) = query_latency_under_ingest(&e, &texts, secs.max(3.0));
        println!(
            "query embedding while batches of 8 {tokens}-token passages run back to back, query_session = \
             {query_session}: p50 {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms | RSS {:.0} MiB",
            rss_mib()
        );
    }
}
