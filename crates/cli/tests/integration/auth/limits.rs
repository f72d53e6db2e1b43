//! Bad bodies, rate limits and sign-in throttling.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_oversized_bodies_get_400_and_413_with_the_error_body() {
    let e = Edge::start(&[("AIDOC_GATEWAY__JSON_LIMIT", "4KiB")]).await;
    let admin = e.token(ADMIN_USER, ADMIN_PASSWORD).await;
    for (path, auth) in [
        ("/api/v1/auth/login", Auth::None),
        ("/api/v1/categories", Auth::Bearer(&admin)),
        ("/api/v1/users", Auth::Bearer(&admin)),
    ] {
        let r = e.request(Method::POST, path, auth).header("content-type", "application/json").body("{\"name\": ");
        let (status, _, body) = Edge::send(r).await;
        assert_error(status, &body, 400, "malformed_body");
        let big = json!({ "name": "x".repeat(8 * 1024), "username": "x", "password": "y" });
        let (status, _, body) = Edge::send(e.request(Method::POST, path, auth).json(&big)).await;
        assert_error(status, &body, 413, "too_large");
    }
    // A user name with a space, a short password, an unknown role.
    for bad in [
        json!({ "username": "x y", "password": "long enough password", "role": "viewer" }),
        json!({ "username": "shorty", "password": "short", "role": "viewer" }),
        json!({ "username": "root2", "password": "long enough password", "role": "god" }),
    ] {
        let (status, body) = e.call(Method::POST, "/api/v1/users", Auth::Bearer(&admin), Some(bad.clone())).await;
        assert_error(status, &body, 400, "invalid_argument");
    }
    let (status, body) = e
        .call(Method::POST, "/api/v1/keys", Auth::Bearer(&admin), Some(json!({ "name": "k", "scopes": ["delete"] })))
        .await;
    assert_error(status, &body, 400, "invalid_argument");
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_answer_429_with_retry_after_per_key_and_per_address() {
    let e = Edge::start(&[
        ("AIDOC_RATE_LIMIT__KEY__PER_MINUTE", "6"),
        ("AIDOC_RATE_LIMIT__KEY__BURST", "3"),
        ("AIDOC_RATE_LIMIT__IP__PER_MINUTE", "6"),
        ("AIDOC_RATE_LIMIT__IP__BURST", "4"),
    ])
    .await;
    let admin = e.token(ADMIN_USER, ADMIN_PASSWORD).await;
    let (key, _) = e.key(&admin, &["read"]).await;
    for i in 0..3 {
        let (status, _) = e.call(Method::GET, "/api/v1/tags", Auth::Key(&key), None).await;
        assert_eq!(status, 200, "request {i} is within the burst");
    }
    let (status, headers, body) = Edge::send(e.request(Method::GET, "/api/v1/tags", Auth::Key(&key))).await;
    assert_error(status, &body, 429, "rate_limited");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    // MCP draws on the same budget as REST.
    let init =
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": { "protocolVersion": "2025-06-18" } });
    let (status, _, body) = Edge::send(e.request(Method::POST, "/mcp", Auth::Key(&key)).json(&init)).await;
    assert_error(status, &body, 429, "rate_limited");
    // Another credential has its own budget.
    let (status, _) = e.call(Method::GET, "/api/v1/tags", Auth::Bearer(&admin), None).await;
    assert_eq!(status, 200);
    // Anonymous requests share their address's budget (the login above took one).
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(e.call(Method::GET, "/api/v1/tags", Auth::None, None).await.0);
    }
    assert_eq!(codes, [401, 401, 401, 429, 429]);
    let (_, metrics) = http_get(&format!("{}/metrics", e.gateway.admin_url()), &[]).await;
    for scope in ["key", "ip"] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("aidoc_rate_limited_total") && l.contains(&format!("scope=\"{scope}\""))),
            "{scope}: {metrics}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_ins_are_throttled_per_address_and_account_and_accounts_lock() {
    let e = Edge::start(&[("AIDOC_LOGIN__LOCKOUT_THRESHOLD", "8")]).await;
    let admin = e.token(ADMIN_USER, ADMIN_PASSWORD).await;
    e.user(&admin, "mallory", "viewer").await;
    for _ in 0..5 {
        let (status, body) = e.login("mallory", "wrong password!!").await;
        assert_error(status, &body, 401, "invalid_credentials");
    }
    // The sixth try from this address is refused before the password is looked at.
    let resp = e
        .request(Method::POST, "/api/v1/auth/login", Auth::None)
        .json(&json!({ "username": "mallory", "password": "mallory-password-123" }));
    let (status, headers, body) = Edge::send(resp).await;
    assert_error(status, &body, 429, "rate_limited");
    assert!(headers.get("retry-after").is_some());
    // Another account from the same address is not affected.
    let (status, _) = e.login(ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(status, 200);
    let (status, body) = e.login("nobody-at-all", "whatever password").await;
    assert_error(status, &body, 401, "invalid_credentials");

    // The account itself locks after 8 straight failures (5 above, 3 here),
    // whatever the address: proxied from a trusted peer, each try here looks
    // like another client, so the per-address throttle does not apply.
    let mut last = (0, Value::Null, None);
    for i in 0..3 {
        let r = e
            .request(Method::POST, "/api/v1/auth/login", Auth::None)
            .header("x-forwarded-for", format!("198.51.100.{i}"))
            .json(&json!({ "username": "mallory", "password": "still wrong!!" }));
        let (status, headers, body) = Edge::send(r).await;
        last = (status, body, headers.get("retry-after").cloned());
    }
    assert_error(last.0, &last.1, 401, "invalid_credentials");
    let r = e
        .request(Method::POST, "/api/v1/auth/login", Auth::None)
        .header("x-forwarded-for", "198.51.100.77")
        .json(&json!({ "username": "mallory", "password": "mallory-password-123" }));
    let (status, headers, body) = Edge::send(r).await;
    assert_error(status, &body, 429, "rate_limited");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");

    let failed = e.audit(&admin, "auth.login_failed").await;
    assert!(
        failed.iter().any(|ev| ev["details"]["reason"] == "unknown_user" && ev["user_id"].is_null()),
        "{failed:#?}"
    );
    assert!(failed.iter().any(|ev| ev["ip"] == "198.51.100.2"), "the forwarded client address is recorded");
    assert_eq!(e.audit(&admin, "auth.login_locked").await.len(), 1);
    assert!(!e.audit(&admin, "auth.login_throttled").await.is_empty());
    let (_, metrics) = http_get(&format!("{}/metrics", e.api.admin_url()), &[]).await;
    assert!(
        metrics.lines().any(|l| l.starts_with("aidoc_auth_events_total") && l.contains("event=\"login_failed\"")),
        "{metrics}"
    );
    assert!(metrics.lines().any(|l| l.starts_with("aidoc_active_users")), "{metrics}");
}
