//! `just bench-footprint`: per service, the release binary size, the time
//! from exec to ready, and the resident memory once idle. Needs release
//! binaries (`cargo build --release --workspace --bins`).

use aidoc_testkit::service::Launch;
use aidoc_testkit::{TestDb, paths};
use std::time::{Duration, Instant};

const RUNS: usize = 5;

fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn wait_ready(admin: std::net::SocketAddr, timeout: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if aidoc_common::healthcheck::probe(admin, Duration::from_millis(200)).is_ok() {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    None
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let db = TestDb::new(&[
        ("catalog", aidoc_api::migrations::MIGRATIONS),
        ("search", aidoc_indexer::migrations::MIGRATIONS),
    ])
    .await;
    // The backup service writes nowhere near the checkout, and its schedule stays off.
    let backups_dir = tempfile::tempdir().expect("backups dir");
    let backups = backups_dir.path().display().to_string();
    // Peers the indexer and the gateway check before they call themselves ready.
    let mut peers = Vec::new();
    for name in ["parser", "api", "backup"] {
        let mut p = Launch::new(name)
            .env("AIDOC_DATABASE__URL", db.url.clone())
            .env("AIDOC_LOG__LEVEL", "warn")
            .env("AIDOC_BACKUP__SCHEDULER", "false")
            .env("AIDOC_BACKUP__TARGET__FS__ROOT", backups.clone())
            .spawn();
        p.wait_ready(Duration::from_secs(30)).await;
        peers.push(p);
    }
    // The model folder is found from the checkout, not from the bench's working directory.
    let model_dir = paths::model_dir().display().to_string();
    let mut indexer_peer = Launch::new("indexer")
        .env("AIDOC_DATABASE__URL", db.url.clone())
        .env("AIDOC_EMBEDDING__MODEL_DIR", model_dir.clone())
        .env("AIDOC_API_URL", peers[1].url())
        .env("AIDOC_PARSER_URL", peers[0].url())
        .env("AIDOC_LOG__LEVEL", "warn")
        .spawn();
    indexer_peer.wait_ready(Duration::from_secs(30)).await;

    println!("profile: {}", paths::profile_dir().display());
    println!(
        "{:<10} {:>12} {:>14} {:>14} {:>12}",
        "service", "binary MiB", "ready p50 ms", "ready max ms", "idle RSS MiB"
    );
    for name in ["gateway", "api", "parser", "indexer", "backup"] {
        let exe = paths::binary(&format!("aidoc-{name}"));
        let size = std::fs::metadata(&exe).map(|m| m.len()).unwrap_or(0) as f64 / (1024.0 * 1024.0);
        let mut ready_ms = Vec::new();
        let mut rss = 0u64;
        for run in 0..RUNS {
            let launch = Launch::new(name)
                .env("AIDOC_DATABASE__URL", db.url.clone())
                .env("AIDOC_API_URL", peers[1].url())
                .env("AIDOC_PARSER_URL", peers[0].url())
                .env("AIDOC_BACKUP_URL", peers[2].url())
                .env("AIDOC_INDEXER_URL", indexer_peer.url())
                .env("AIDOC_EMBEDDING__MODEL_DIR", model_dir.clone())
                .env("AIDOC_BACKUP__SCHEDULER", "false")
                .env("AIDOC_BACKUP__TARGET__FS__ROOT", backups.clone())
                .env("AIDOC_LOG__LEVEL", "warn");
            let mut p = launch.spawn();
            let Some(t) = wait_ready(p.admin_addr, Duration::from_secs(30)).await else {
                eprintln!("{name}: not ready: {}", p.drain_output().join("\n"));
                std::process::exit(1);
            };
            ready_ms.push(t.as_secs_f64() * 1000.0);
            if run == RUNS - 1 {
                tokio::time::sleep(Duration::from_secs(2)).await;
                rss = rss_kib(p.pid());
            }
            p.signal(nix_sigterm());
            let _ = p.wait_exit(Duration::from_secs(15)).await;
        }
        ready_ms.sort_by(f64::total_cmp);
        println!(
            "{:<10} {:>12.1} {:>14.1} {:>14.1} {:>12.1}",
            name,
            size,
            percentile(&ready_ms, 0.5),
            ready_ms.last().copied().unwrap_or_default(),
            rss as f64 / 1024.0
        );
    }
    println!("goals: idle RSS < 30 MiB, ready < 300 ms after exec");
}

fn nix_sigterm() -> aidoc_testkit::service::Signal {
    aidoc_testkit::service::Signal::SIGTERM
}
