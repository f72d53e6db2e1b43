//! The monitor endpoints on a whole stack: request figures counted per route
//! group (a 4xx is no error, a 5xx is), usage per day, ingest throughput,
//! every service's health, version and recent warnings; admins only.

use crate::support::{Stack, settled, start_stack, upload_file};
use aidoc_testkit::service::{Launch, Signal};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const NOTE: &str = "# Monitor note\n\nThe harbour crane PPR-4411 lifts containers at night.\n\n\
    ## Maintenance\n\nGrease the slewing ring every 400 operating hours.\n";

struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn send(&self, req: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.send(self.http.get(format!("{}{path}", self.base)).bearer_auth(token)).await
    }

    async fn search(&self, key: &str, body: Value) -> u16 {
        self.send(self.http.post(format!("{}/api/v1/search", self.base)).header("x-api-key", key).json(&body)).await.0
    }
}

/// Polls `path` until `done` holds (the gateway flushes every 500 ms).
async fn until(c: &Client, token: &str, path: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (status, body) = c.get(path, token).await;
        assert_eq!(status, 200, "{path}: {body}");
        if done(&body) {
            return body;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{what}: {body:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Requests and errors of one group over the whole window.
fn totals(traffic: &Value, group: &str) -> (u64, u64) {
    let step = traffic["step_seconds"].as_f64().unwrap();
    let g = traffic["groups"].as_array().unwrap().iter().find(|g| g["group"] == group).expect("group listed");
    g["points"].as_array().unwrap().iter().fold((0, 0), |(r, e), p| {
        let n = (p["requests_per_second"].as_f64().unwrap() * step).round();
        (r + n as u64, e + (p["error_rate"].as_f64().unwrap() * n).round() as u64)
    })
}

async fn mcp_search(stack: &Stack, http: &reqwest::Client) {
    let url = format!("{}/mcp", stack.gateway.url());
    let post = |body: Value, session: Option<String>| {
        let mut req = http
            .post(&url)
            .header("accept", "application/json, text/event-stream")
            .header("x-api-key", &stack.api_key)
            .json(&body);
        if let Some(s) = session {
            req = req.header("mcp-session-id", s).header("mcp-protocol-version", "2025-06-18");
        }
        req.send()
    };
    let init = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "monitor", "version": "1" } } });
    let resp = post(init, None).await.expect("initialize");
    assert_eq!(resp.status(), 200);
    let session = resp.headers()["mcp-session-id"].to_str().unwrap().to_owned();
    let call = json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": { "name": "search_docs", "arguments": { "query": "slewing ring", "mode": "keyword" } } });
    let body: Value = post(call, Some(session)).await.expect("search_docs").json().await.expect("json");
    assert_eq!(body["result"]["isError"], false, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_endpoints_report_real_figures() {
    let _serial = crate::support::one_at_a_time().await;
    let mut stack = start_stack(&[("AIDOC_GATEWAY__MONITOR_FLUSH_INTERVAL", "500ms")]).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    let c = Client { http: http.clone(), base: stack.gateway.url() };
    let admin = stack.admin_token.clone();
    let key = stack.api_key.clone();

    // A viewer is refused everywhere (and is an active user by asking).
    let (status, _) = c
        .send(
            c.http
                .post(format!("{}/api/v1/users", c.base))
                .bearer_auth(&admin)
                .json(&json!({ "username": "vic", "password": "vic-password-123", "role": "viewer" })),
        )
        .await;
    assert_eq!(status, 201);
    let viewer =
        crate::support::login(&c.base, "vic", "vic-password-123").await["access_token"].as_str().unwrap().to_owned();
    for path in
        ["/api/v1/monitor/traffic", "/api/v1/monitor/ingest", "/api/v1/monitor/usage", "/api/v1/monitor/services"]
    {
        let (status, body) = c.get(path, &viewer).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["code"], "permission_denied", "{body}");
    }

    // Bad windows and day counts are refused and named.
    for (path, name) in [
        ("/api/v1/monitor/traffic?window=10", "window"),
        ("/api/v1/monitor/traffic?window=604801", "window"),
        ("/api/v1/monitor/ingest?window=abc", "window"),
        ("/api/v1/monitor/usage?days=0", "days"),
        ("/api/v1/monitor/usage?days=91", "days"),
    ] {
        let (status, body) = c.get(path, &admin).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["code"], "invalid_argument", "{body}");
        assert!(body["message"].as_str().unwrap().contains(&format!("`{name}`")), "{path}: {body}");
    }

    // A document that indexes and one that cannot (a warning in the api's and the indexer's log).
    let doc = upload_file(&stack, "monitor-note.md", NOTE.as_bytes().to_vec(), "").await;
    let broken = upload_file(
        &stack,
        "broken.pdf",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nthis is no pdf".to_vec(),
        "",
    )
    .await;
    let d = settled(&stack, &doc).await;
    assert_eq!(d["status"], "ready", "{d:#}");
    let chunks = d["chunk_count"].as_u64().unwrap();
    let pages = d["page_count"].as_u64().unwrap();
    assert!(chunks >= 1, "{d:#}");

    // Exactly three successful searches, one refused (400), one over MCP.
    for q in ["harbour crane", "slewing ring", "PPR-4411"] {
        assert_eq!(c.search(&key, json!({ "query": q })).await, 200);
    }
    assert_eq!(c.search(&key, json!({ "query": "" , "limit": 100000 })).await, 400);
    mcp_search(&stack, &http).await;

    // Traffic: the search group has exactly those four requests, no error (a 4xx is none).
    let traffic =
        until(&c, &admin, "/api/v1/monitor/traffic", "four search requests", |t| totals(t, "search").0 >= 4).await;
    assert_eq!(traffic["window_seconds"], 3600);
    assert_eq!(traffic["step_seconds"], 60);
    let groups: Vec<&str> =
        traffic["groups"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(groups, ["auth", "documents", "search", "mcp", "admin", "ui"]);
    assert_eq!(totals(&traffic, "search"), (4, 0), "{traffic:#}");
    let search = traffic["groups"].as_array().unwrap().iter().find(|g| g["group"] == "search").unwrap();
    for p in search["points"].as_array().unwrap() {
        assert!(p["p95_ms"].as_f64().unwrap() > 0.0, "{p}");
        assert_eq!(p["error_rate"], 0.0, "{p}");
        assert!(p["t"].as_str().unwrap().ends_with(":00Z"), "{p}");
    }
    assert!(totals(&traffic, "documents").0 >= 3, "two uploads and the polling: {traffic:#}");
    assert!(totals(&traffic, "mcp").0 >= 2, "{traffic:#}");
    assert!(totals(&traffic, "auth").0 >= 2, "the sign-ins: {traffic:#}");
    assert!(totals(&traffic, "admin").0 >= 4, "the refused viewer calls: {traffic:#}");
    let week = c.get("/api/v1/monitor/traffic?window=604800", &admin).await.1;
    assert_eq!(week["step_seconds"], 1680, "{week}");
    assert_eq!(totals(&week, "search").0, 4, "{week:#}");

    // Usage: today has both uploads, the four searches and two active users.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let usage = until(&c, &admin, "/api/v1/monitor/usage", "today's usage", |u| {
        u["days"].as_array().and_then(|d| d.last()).is_some_and(|d| d["searches"] == 4 && d["active_users"] == 2)
    })
    .await;
    let days = usage["days"].as_array().unwrap();
    assert_eq!(days.len(), 14, "{usage:#}");
    assert_eq!(days[13]["day"], today.as_str());
    assert_eq!(days[13]["uploads"], 2, "{usage:#}");
    assert!(days[..13].iter().all(|d| d["uploads"] == 0 && d["searches"] == 0 && d["active_users"] == 0), "{usage:#}");
    assert!(days.windows(2).all(|w| w[0]["day"].as_str() < w[1]["day"].as_str()), "oldest first");
    assert_eq!(usage["active_users_24h"], 2, "{usage:#}");
    assert_eq!(c.get("/api/v1/monitor/usage?days=1", &admin).await.1["days"].as_array().unwrap().len(), 1);

    // Ingest: the job's pages and chunks within the window.
    let ingest = c.get("/api/v1/monitor/ingest", &admin).await.1;
    let points = ingest["points"].as_array().unwrap();
    let sum = |k: &str| points.iter().map(|p| p[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("chunks_embedded"), chunks, "{ingest:#}");
    assert_eq!(sum("pages_parsed"), pages, "{ingest:#}");
    assert_eq!(ingest["step_seconds"], 60);
    assert!(ingest["queued"].is_u64() && ingest["running"].is_u64() && ingest["failed"].is_u64(), "{ingest}");
    assert!(!points.is_empty() && points.iter().all(|p| p["oldest_queued_age_seconds"].is_f64()), "{ingest}");

    // Services: all five serving at the workspace version; the broken file's warning is among the events.
    let services = until(&c, &admin, "/api/v1/monitor/services", "the failed job's warning", |s| {
        s["events"].as_array().unwrap().iter().any(|e| {
            e["service"] == "api" && e["level"] == "warn" && e["message"].as_str().unwrap().starts_with("job failed")
        })
    })
    .await;
    let names: Vec<&str> =
        services["services"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gateway", "api", "indexer", "parser", "backup"]);
    for s in services["services"].as_array().unwrap() {
        assert_eq!(s["status"], "serving", "{s}");
        assert_eq!(s["version"], env!("CARGO_PKG_VERSION"), "{s}");
        let started = chrono::DateTime::parse_from_rfc3339(s["started_at"].as_str().unwrap()).expect("started_at");
        assert!(started.timestamp() <= chrono::Utc::now().timestamp(), "{s}");
    }
    let events = services["events"].as_array().unwrap();
    assert!(events.len() <= 100);
    assert!(events.windows(2).all(|w| w[0]["at"].as_str() >= w[1]["at"].as_str()), "newest first: {services:#}");
    let warning = events.iter().find(|e| e["message"].as_str().unwrap().starts_with("job failed")).unwrap();
    assert_eq!(warning["target"], "aidoc_api::jobs", "{warning}");
    assert!(warning["message"].as_str().unwrap().contains("job="), "fields rendered: {warning}");
    assert_eq!(settled(&stack, &broken).await["status"], "failed");

    // A second gateway instance that flushes only at shutdown: its searches
    // are not in the figures until it stops, then they add to the first one's.
    let mut second = Launch::new("gateway");
    for (k, v) in &stack.env {
        second = second.env(k, v.clone());
    }
    let mut second = second
        .env("AIDOC_GATEWAY__MONITOR_FLUSH_INTERVAL", "5m")
        .env("AIDOC_API_URL", stack.api.url())
        .env("AIDOC_INDEXER_URL", stack.indexer.url())
        .env("AIDOC_PARSER_URL", stack.parser.url())
        .env("AIDOC_BACKUP_URL", stack.backup.url())
        .spawn();
    second.wait_ready(crate::support::READY).await;
    let c2 = Client { http: http.clone(), base: second.url() };
    for q in ["crane", "grease"] {
        assert_eq!(c2.search(&key, json!({ "query": q })).await, 200);
    }
    let held = c2.get("/api/v1/monitor/traffic", &admin).await.1;
    assert_eq!(totals(&held, "search"), (4, 0), "not delivered before the flush: {held:#}");
    second.signal(Signal::SIGTERM);
    assert_eq!(second.wait_exit(Duration::from_secs(30)).await, Some(0));
    let traffic = c.get("/api/v1/monitor/traffic", &admin).await.1;
    assert_eq!(totals(&traffic, "search"), (6, 0), "both instances, the second flushed at shutdown: {traffic:#}");
    let usage = c.get("/api/v1/monitor/usage?days=1", &admin).await.1;
    assert_eq!(usage["days"][0]["searches"], 6, "{usage}");
    assert_eq!(usage["days"][0]["active_users"], 2, "the same users through another instance: {usage}");

    // A real 5xx: with the indexer gone a search fails with 503 and counts as an error.
    stack.indexer.signal(Signal::SIGKILL);
    stack.indexer.wait_exit(Duration::from_secs(10)).await;
    assert_eq!(c.search(&key, json!({ "query": "harbour" })).await, 503);
    let traffic =
        until(&c, &admin, "/api/v1/monitor/traffic", "the failed search", |t| totals(t, "search").0 >= 7).await;
    assert_eq!(totals(&traffic, "search"), (7, 1), "{traffic:#}");
    let services = c.get("/api/v1/monitor/services", &admin).await.1;
    let indexer = services["services"].as_array().unwrap().iter().find(|s| s["name"] == "indexer").unwrap();
    assert_eq!(indexer["status"], "unreachable", "{indexer}");
    assert!(indexer["error"].is_string(), "{indexer}");
    assert!(
        services["events"].as_array().unwrap().iter().any(|e| e["service"] == "gateway" && e["level"] == "warn"),
        "the gateway's own warning about the unavailable indexer: {services:#}"
    );
}
