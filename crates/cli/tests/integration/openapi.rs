//! The OpenAPI document against the real stack: the gateway serves the
//! committed `docs/openapi.json` without credentials, its UI loads under its
//! own Content-Security-Policy, and schemathesis (installed by
//! `scripts/install-schemathesis.sh`) exercises every operation: no 5xx, and
//! every status, content type, header and body as documented.

use crate::support::{create_key, one_at_a_time, start_stack};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `st` command of the pinned schemathesis (installed on first use).
fn schemathesis() -> PathBuf {
    let out = Command::new(repo_root().join("scripts/install-schemathesis.sh"))
        .output()
        .expect("run scripts/install-schemathesis.sh");
    assert!(out.status.success(), "installing schemathesis failed: {}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8(out.stdout).expect("utf-8").trim())
}

const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
    response_schema_conformance,response_headers_conformance";

/// Runs schemathesis over the operations `filters` leave, with `header`.
fn fuzz(st: &Path, base: &str, header: &str, filters: &[&str], max_seconds: u32, report: &Path) {
    let started = Instant::now();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/schemathesis.toml");
    let out = Command::new(st)
        .arg("--config-file")
        .arg(config)
        .arg("run")
        .arg(format!("{base}/api/openapi.json"))
        .args(["--url", base])
        .args(["--checks", CHECKS])
        .args(["--header", header])
        .args(["--max-examples", "10"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--workers", "2"])
        .args(["--seed", "7"])
        .args(["--request-timeout", "20"])
        .args(["--max-time", &max_seconds.to_string()])
        .args(["--no-color", "--continue-on-failure"])
        // Its example cache stays with the reports, out of the checkout.
        .current_dir(report.parent().expect("report dir"))
        .arg("--report-junit-path")
        .arg(report)
        .args(filters)
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("schemathesis ({:.0} s):\n{stdout}", started.elapsed().as_secs_f64());
    assert!(out.status.success(), "schemathesis found problems:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_served_document_is_the_committed_one_and_schemathesis_finds_nothing() {
    let _heavy = one_at_a_time().await;
    let stack = start_stack(&[]).await;
    let base = stack.gateway.url();
    let http = reqwest::Client::new();

    // Served without credentials, equal to the committed file.
    let resp = http.get(format!("{base}/api/openapi.json")).send().await.expect("openapi.json");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    let served: serde_json::Value = resp.json().await.expect("JSON");
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/openapi.json")).expect("docs/openapi.json"),
    )
    .expect("committed JSON");
    assert!(served == committed, "the served document differs from docs/openapi.json: run `just openapi`");
    assert_eq!(served["openapi"], "3.1.0");

    // The UI: its page, its own scripts (no other origin), and a policy that allows them.
    let resp = http.get(format!("{base}/api/docs")).send().await.expect("docs redirect");
    assert_eq!(resp.status(), 200, "/api/docs redirects to /api/docs/");
    let csp = resp.headers()["content-security-policy"].to_str().expect("csp").to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("http"), "{csp}");
    let page = resp.text().await.expect("page");
    assert!(page.contains("swagger-ui-bundle.js") && !page.contains("https://"), "{page}");
    let init = http.get(format!("{base}/api/docs/swagger-initializer.js")).send().await.expect("initializer");
    assert_eq!(init.status(), 200);
    assert!(init.text().await.expect("js").contains("/api/openapi.json"));
    let bundle = http.get(format!("{base}/api/docs/swagger-ui-bundle.js")).send().await.expect("bundle");
    assert_eq!(bundle.status(), 200);
    assert!(bundle.bytes().await.expect("bundle").len() > 100_000);
    // The relaxed policy is for the UI only.
    let other = http.get(format!("{base}/api/openapi.json")).send().await.expect("spec");
    assert_eq!(other.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");

    // Found by schemathesis: text with NUL is the caller's mistake (400), and
    // a sign-in with it is simply a wrong sign-in (401), not a server error.
    let with_key = stack.client(std::time::Duration::from_secs(20));
    let resp = with_key
        .post(format!("{base}/api/v1/categories"))
        .json(&serde_json::json!({ "name": "nul", "description": "a\u{0}b" }))
        .send()
        .await
        .expect("create category");
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.expect("error body");
    assert_eq!(body["code"], "invalid_argument", "{body}");
    let resp = with_key.get(format!("{base}/api/v1/tags?prefix=%00")).send().await.expect("tags");
    assert_eq!(resp.status(), 400);
    let resp = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "ad\u{0}min", "password": "x" }))
        .send()
        .await
        .expect("login");
    assert_eq!(resp.status(), 401);

    let st = schemathesis();
    let reports = tempfile::tempdir().expect("report dir");

    // Every operation with an admin's API key. Keys cannot administer or
    // manage accounts, so those operations answer 403 here and are fuzzed
    // again below with a session.
    let key = create_key(&base, &stack.admin_token, "schemathesis", &["read", "write"]).await;
    fuzz(&st, &base, &format!("X-API-Key: {key}"), &[], 150, &reports.path().join("key.xml"));

    // Administration and account operations with the admin's session, except
    // signing out and changing the own password (either would end the
    // session the run uses).
    fuzz(
        &st,
        &base,
        &format!("Authorization: Bearer {}", stack.admin_token),
        &["--include-path-regex", "^/api/v1/(users|keys|audit|auth/me)", "--exclude-operation-id", "update_me"],
        60,
        &reports.path().join("session.xml"),
    );
}
