//! The web UI through the real gateway: static serving with SPA fallback and
//! cache headers, its Content-Security-Policy, the refresh cookie, and a real
//! Chromium driving the app against the whole stack (web/e2e/run.mjs).

use crate::support::{ADMIN_PASSWORD, ADMIN_USER, one_at_a_time, start_stack};
use reqwest::header;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn web_dir() -> PathBuf {
    aidoc_testkit::paths::workspace_root().join("web")
}

/// Whether the browser run can happen here; in CI it must.
fn browser_ready(web: &Path) -> Result<(), String> {
    let mut missing = Vec::new();
    if !web.join("dist/index.html").is_file() {
        missing.push("web/dist (cd web && npm ci && npm run build)");
    }
    if !web.join("node_modules/playwright-core").is_dir() {
        missing.push("web/node_modules (cd web && npm ci)");
    }
    if !Path::new(&chromium()).is_file() {
        missing.push("chromium (scripts/install-browser.sh)");
    }
    if missing.is_empty() { Ok(()) } else { Err(missing.join(", ")) }
}

fn chromium() -> String {
    std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into())
}

fn cookie_of(resp: &reqwest::Response) -> String {
    resp.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("aidoc_refresh="))
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_web_ui_is_served_and_works_in_a_browser() {
    let _heavy = one_at_a_time().await;
    let web = web_dir();
    let ready = browser_ready(&web);
    // Without a built UI the gateway part still runs, against a stand-in dist.
    let stand_in = tempfile::tempdir().expect("dist");
    let dist = if web.join("dist/index.html").is_file() {
        web.join("dist")
    } else {
        std::fs::create_dir_all(stand_in.path().join("assets")).unwrap();
        std::fs::write(stand_in.path().join("index.html"), "<!doctype html><title>aidoc</title>").unwrap();
        std::fs::write(stand_in.path().join("assets/app-0123abcd.js"), "export {}").unwrap();
        stand_in.path().to_owned()
    };
    // The monitor page is checked right after the searches: flush its figures often.
    let stack = start_stack(&[
        ("AIDOC_GATEWAY__WEB_DIR", &dist.display().to_string()),
        ("AIDOC_GATEWAY__MONITOR_FLUSH_INTERVAL", "1s"),
    ])
    .await;
    let base = stack.gateway.url();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

    // The app at `/` and at any of its own paths; never cached.
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
    for path in ["/", "/library", "/documents/123?page=2", "/search?q=x"] {
        let r = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/html; charset=utf-8", "{path}");
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-cache", "{path}");
        let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{part} in {csp} ({path})");
        }
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(r.text().await.unwrap(), index, "{path}");
    }
    // Hashed assets: cached for a year; a missing one is a 404, not the app.
    let asset = std::fs::read_dir(dist.join("assets"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".js"))
        .expect("a built script");
    let r = http.get(format!("{base}/assets/{asset}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
    assert_eq!(r.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(http.get(format!("{base}/assets/missing-0000.js")).send().await.unwrap().status(), 404);
    // The API, health and metrics keep their own answers.
    let r = http.get(format!("{base}/api/v1/no-such-route")).send().await.unwrap();
    assert_eq!(r.status(), 401, "unknown API paths still need credentials first");
    let r = http.get(format!("{base}/api/v1/no-such-route")).bearer_auth(&stack.admin_token).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_found", "{body}");
    let r = http.get(format!("{base}/api/v1/documents")).bearer_auth(&stack.admin_token).send().await.unwrap();
    assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], "default-src 'none'; frame-ancestors 'none'");
    assert_eq!(http.get(format!("{base}/health/live")).send().await.unwrap().status(), 200);
    assert_eq!(http.post(format!("{base}/library")).send().await.unwrap().status(), 404, "only GET serves the UI");

    // The refresh token as an HttpOnly cookie scoped to the auth routes.
    let r = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": ADMIN_USER, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cookie = cookie_of(&r);
    for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/v1/auth", "Max-Age="] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    let body: serde_json::Value = r.json().await.unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(pair, format!("aidoc_refresh={}", body["refresh_token"].as_str().unwrap()), "JSON and cookie agree");
    // No body: the cookie is used, and rotated.
    let r = http.post(format!("{base}/api/v1/auth/refresh")).header(header::COOKIE, &pair).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let rotated = cookie_of(&r);
    let rotated_pair = rotated.split(';').next().unwrap().to_owned();
    assert_ne!(rotated_pair, pair);
    assert!(r.json::<serde_json::Value>().await.unwrap()["access_token"].is_string());
    // The old cookie is spent (reuse revokes the family, as with body tokens).
    let r = http.post(format!("{base}/api/v1/auth/refresh")).header(header::COOKIE, &pair).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = http.post(format!("{base}/api/v1/auth/refresh")).send().await.unwrap();
    assert_eq!(r.status(), 401, "neither body nor cookie");
    let r = http.post(format!("{base}/api/v1/auth/refresh")).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), 400, "a broken body is a typed error");
    // Sign-out clears the cookie.
    let fresh = crate::support::login(&base, ADMIN_USER, ADMIN_PASSWORD).await;
    let r = http
        .post(format!("{base}/api/v1/auth/logout"))
        .bearer_auth(fresh["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(cookie_of(&r).contains("Max-Age=0"), "{}", cookie_of(&r));

    // The browser run.
    if let Err(missing) = ready {
        assert!(std::env::var_os("CI").is_none(), "CI must run the browser test; missing: {missing}");
        eprintln!("skipped the browser run: missing {missing}");
        return;
    }
    let Some(corpus) = aidoc_testkit::paths::corpus_dir() else {
        assert!(std::env::var_os("CI").is_none(), "../shared/corpus is missing in CI");
        eprintln!("skipped the browser run: ../shared/corpus is not next to this checkout");
        return;
    };
    let shots = aidoc_testkit::paths::profile_dir().join("test-output/web");
    let out = tokio::time::timeout(
        Duration::from_secs(600),
        tokio::process::Command::new("node")
            .arg("e2e/run.mjs")
            .current_dir(&web)
            .env("AIDOC_URL", &base)
            .env("AIDOC_ADMIN_USER", ADMIN_USER)
            .env("AIDOC_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("AIDOC_CORPUS", &corpus)
            .env("AIDOC_SHOTS", &shots)
            .env("CHROMIUM", chromium())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the browser run finishes within 10 minutes")
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}\nscreenshots: {}", shots.display());
    assert!(out.status.success(), "the browser run failed ({}):\n{stdout}\n{stderr}", out.status);
}
