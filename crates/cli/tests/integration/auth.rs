//! Users and access through the real gateway and api on a real PostgreSQL:
//! every route needs credentials, roles and key scopes decide what a caller
//! may do, bad tokens and bodies get typed errors, rate limits answer 429,
//! and every change and sign-in lands in the audit log.

use crate::support::{ADMIN_PASSWORD, ADMIN_USER, JWT_SECRET, READY, migrated_db};
use aidoc_testkit::service::{Launch, Signal, http_get};
use aidoc_testkit::{ServiceProcess, TestDb};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const AGENT: &str = "aidoc-auth-tests/1.0";

/// The api and one gateway (no parser or indexer: these tests never search).
struct Edge {
    api: ServiceProcess,
    gateway: ServiceProcess,
    db: TestDb,
    _storage: tempfile::TempDir,
    http: reqwest::Client,
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Key(&'a str),
}

impl Edge {
    async fn start(extra: &[(&str, &str)]) -> Edge {
        let db = migrated_db().await;
        let storage = tempfile::tempdir().expect("storage");
        let mut env: Vec<(String, String)> = vec![
            ("AIDOC_DATABASE__URL".into(), db.url.clone()),
            ("AIDOC_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
            ("AIDOC_AUTH__JWT_SECRET".into(), JWT_SECRET.into()),
            ("AIDOC_STORAGE__BACKEND".into(), "fs".into()),
            ("AIDOC_STORAGE__FS__ROOT".into(), storage.path().display().to_string()),
            ("AIDOC_RATE_LIMIT__USER__PER_MINUTE".into(), "0".into()),
            ("AIDOC_RATE_LIMIT__KEY__PER_MINUTE".into(), "0".into()),
            ("AIDOC_RATE_LIMIT__IP__PER_MINUTE".into(), "0".into()),
        ];
        for (k, v) in extra {
            env.retain(|(ek, _)| ek != k);
            env.push((k.to_string(), v.to_string()));
        }
        let launch = |name: &str| env.iter().fold(Launch::new(name), |l, (k, v)| l.env(k, v.clone()));
        let mut api = launch("api").spawn();
        api.wait_ready(READY).await;
        let closed = format!("http://127.0.0.1:{}", aidoc_testkit::free_port().expect("port"));
        let mut gateway = launch("gateway")
            .env("AIDOC_API_URL", api.url())
            .env("AIDOC_INDEXER_URL", closed.clone())
            .env("AIDOC_PARSER_URL", closed.clone())
            .env("AIDOC_BACKUP_URL", closed)
            .spawn();
        let started = Instant::now();
        while http_get(&format!("{}/health/live", gateway.url()), &[]).await.0 != 200 {
            assert!(started.elapsed() < READY, "gateway not up: {}", gateway.drain_output().join("\n"));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let http = reqwest::Client::builder().user_agent(AGENT).build().expect("client");
        Edge { api, gateway, db, _storage: storage, http }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gateway.url())
    }

    fn request(&self, method: Method, path: &str, auth: Auth<'_>) -> reqwest::RequestBuilder {
        let r = self.http.request(method, self.url(path));
        match auth {
            Auth::None => r,
            Auth::Bearer(t) => r.bearer_auth(t),
            Auth::Key(k) => r.header("x-api-key", k),
        }
    }

    async fn send(r: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
        let resp = r.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.json().await.unwrap_or(Value::Null))
    }

    async fn call(&self, method: Method, path: &str, auth: Auth<'_>, body: Option<Value>) -> (u16, Value) {
        let mut r = self.request(method, path, auth);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let (status, _, v) = Self::send(r).await;
        (status, v)
    }

    async fn login(&self, user: &str, password: &str) -> (u16, Value) {
        self.call(
            Method::POST,
            "/api/v1/auth/login",
            Auth::None,
            Some(json!({ "username": user, "password": password })),
        )
        .await
    }

    async fn token(&self, user: &str, password: &str) -> String {
        let (status, body) = self.login(user, password).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().expect("token").to_owned()
    }

    /// Creates a user as admin; returns its id.
    async fn user(&self, admin: &str, name: &str, role: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/users",
                Auth::Bearer(admin),
                Some(json!({ "username": name, "password": format!("{name}-password-123"), "role": role })),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["role"], role);
        body["id"].as_str().expect("id").to_owned()
    }

    async fn key(&self, token: &str, scopes: &[&str]) -> (String, String) {
        let (status, body) = self
            .call(Method::POST, "/api/v1/keys", Auth::Bearer(token), Some(json!({ "name": "k", "scopes": scopes })))
            .await;
        assert_eq!(status, 201, "{body}");
        (body["secret"].as_str().expect("secret").to_owned(), body["key"]["id"].as_str().expect("id").to_owned())
    }

    async fn audit(&self, admin: &str, action: &str) -> Vec<Value> {
        let (status, body) = self
            .call(Method::GET, &format!("/api/v1/audit?action={action}&limit=500"), Auth::Bearer(admin), None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().expect("items").clone()
    }
}

fn assert_error(status: u16, body: &Value, want_status: u16, want_code: &str) {
    assert_eq!((status, body["code"].as_str()), (want_status, Some(want_code)), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

/// Every REST route of the gateway (keep in step with `crates/gateway/src/routes`).
const PROTECTED: &[(&str, &str)] = &[
    ("GET", "/api/v1/system/status"),
    ("GET", "/api/v1/monitor/traffic"),
    ("GET", "/api/v1/monitor/ingest"),
    ("GET", "/api/v1/monitor/usage"),
    ("GET", "/api/v1/monitor/services"),
    ("POST", "/api/v1/documents"),
    ("GET", "/api/v1/documents"),
    ("GET", "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000"),
    ("PATCH", "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000"),
    ("DELETE", "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000"),
    ("GET", "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000/content"),
    ("POST", "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000/reindex"),
    ("GET", "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000/versions"),
    ("GET", "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000/chunks"),
    ("GET", "/api/v1/documents/0190a0a0-0000-7000-8000-000000000000/outline"),
    ("GET", "/api/v1/search?q=x"),
    ("POST", "/api/v1/search"),
    ("GET", "/api/v1/chunks/0190a0a0-0000-7000-8000-000000000000"),
    ("GET", "/api/v1/categories"),
    ("POST", "/api/v1/categories"),
    ("PATCH", "/api/v1/categories/0190a0a0-0000-7000-8000-000000000000"),
    ("DELETE", "/api/v1/categories/0190a0a0-0000-7000-8000-000000000000"),
    ("GET", "/api/v1/tags"),
    ("GET", "/api/v1/jobs"),
    ("GET", "/api/v1/jobs/stats"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/auth/me"),
    ("PATCH", "/api/v1/auth/me"),
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/users/0190a0a0-0000-7000-8000-000000000000"),
    ("PATCH", "/api/v1/users/0190a0a0-0000-7000-8000-000000000000"),
    ("GET", "/api/v1/keys"),
    ("POST", "/api/v1/keys"),
    ("DELETE", "/api/v1/keys/0190a0a0-0000-7000-8000-000000000000"),
    ("GET", "/api/v1/audit"),
    ("GET", "/api/v1/no-such-route"),
    ("POST", "/mcp"),
    ("GET", "/mcp"),
    ("DELETE", "/mcp"),
];

#[tokio::test(flavor = "multi_thread")]
async fn no_rest_route_answers_without_valid_credentials_except_login_refresh_and_health() {
    let e = Edge::start(&[]).await;
    for (method, path) in PROTECTED {
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        for auth in [Auth::None, Auth::Bearer("not.a.token"), Auth::Key("aidoc_00000000_nope")] {
            let (status, headers, body) = Edge::send(e.request(m.clone(), path, auth).json(&json!({}))).await;
            assert_error(status, &body, 401, "unauthenticated");
            assert!(headers.get("www-authenticate").is_some(), "{method} {path}: no WWW-Authenticate");
        }
    }
    // The public routes answer without credentials (here: their own input errors).
    let (status, body) = e.call(Method::POST, "/api/v1/auth/login", Auth::None, Some(json!({}))).await;
    assert_error(status, &body, 400, "malformed_body");
    let (status, body) =
        e.call(Method::POST, "/api/v1/auth/refresh", Auth::None, Some(json!({ "refresh_token": "x" }))).await;
    assert_error(status, &body, 401, "unauthenticated");
    let (status, _) = http_get(&e.url("/health/live"), &[]).await;
    assert_eq!(status, 200);
    // The API's description and its UI are public.
    let (status, body) = e.call(Method::GET, "/api/openapi.json", Auth::None, None).await;
    assert_eq!((status, body["openapi"].as_str()), (200, Some("3.1.0")), "{body}");
    let (status, _) = http_get(&e.url("/api/docs/"), &[]).await;
    assert_eq!(status, 200);
    // An unknown path outside the API is a plain 404, not an auth challenge.
    let (status, body) = e.call(Method::GET, "/nothing", Auth::None, None).await;
    assert_error(status, &body, 404, "not_found");
    // Without a built web UI, `/` says how to build it.
    let (status, body) = http_get(&e.url("/"), &[]).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("npm ci && npm run build") && body.contains("AIDOC_GATEWAY__WEB_DIR"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_and_key_scopes_decide_who_may_read_write_and_administer() {
    let e = Edge::start(&[]).await;
    let admin = e.token(ADMIN_USER, ADMIN_PASSWORD).await;
    e.user(&admin, "vera", "viewer").await;
    e.user(&admin, "eddie", "editor").await;
    let viewer = e.token("vera", "vera-password-123").await;
    let editor = e.token("eddie", "eddie-password-123").await;

    // /auth/me says who and how.
    let (status, me) = e.call(Method::GET, "/api/v1/auth/me", Auth::Bearer(&viewer), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!((me["user"]["username"].as_str(), me["user"]["role"].as_str()), (Some("vera"), Some("viewer")));
    assert_eq!(me["via"]["type"], "session");

    // A viewer reads, cannot write, and cannot mint a write key.
    let (status, _) = e.call(Method::GET, "/api/v1/documents", Auth::Bearer(&viewer), None).await;
    assert_eq!(status, 200);
    let (status, body) =
        e.call(Method::POST, "/api/v1/categories", Auth::Bearer(&viewer), Some(json!({ "name": "Ops" }))).await;
    assert_error(status, &body, 403, "permission_denied");
    let (status, body) = e
        .call(Method::POST, "/api/v1/keys", Auth::Bearer(&viewer), Some(json!({ "name": "w", "scopes": ["write"] })))
        .await;
    assert_error(status, &body, 403, "permission_denied");
    let (viewer_key, _) = e.key(&viewer, &["read"]).await;
    let (status, _) = e.call(Method::GET, "/api/v1/categories", Auth::Key(&viewer_key), None).await;
    assert_eq!(status, 200);

    // An editor writes; admin routes stay closed to it.
    let (status, body) =
        e.call(Method::POST, "/api/v1/categories", Auth::Bearer(&editor), Some(json!({ "name": "Ops" }))).await;
    assert_eq!(status, 201, "{body}");
    for (m, path) in
        [(Method::GET, "/api/v1/users"), (Method::GET, "/api/v1/audit"), (Method::GET, "/api/v1/keys?all=true")]
    {
        let (status, body) = e.call(m, path, Auth::Bearer(&editor), None).await;
        assert_error(status, &body, 403, "permission_denied");
    }

    // A read key cannot upload, whoever owns it; a write key can (as Bearer too).
    let (read_key, _) = e.key(&editor, &["read"]).await;
    let (write_key, _) = e.key(&editor, &["write"]).await;
    let form = || {
        reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(b"# Notes\n\nhello".to_vec()).file_name("notes.md"))
    };
    let (status, _, body) =
        Edge::send(e.request(Method::POST, "/api/v1/documents", Auth::Key(&read_key)).multipart(form())).await;
    assert_error(status, &body, 403, "permission_denied");
    let (status, _, body) =
        Edge::send(e.request(Method::POST, "/api/v1/documents", Auth::Bearer(&write_key)).multipart(form())).await;
    assert_eq!(status, 202, "{body}");
    let (status, me) = e.call(Method::GET, "/api/v1/auth/me", Auth::Key(&write_key), None).await;
    assert_eq!(status, 200);
    assert_eq!((me["via"]["type"].as_str(), me["via"]["scopes"].clone()), (Some("api_key"), json!(["write"])));

    // Keys never administer and never manage keys, even an admin's.
    let (admin_key, _) = e.key(&admin, &["read", "write"]).await;
    let (status, body) = e.call(Method::GET, "/api/v1/users", Auth::Key(&admin_key), None).await;
    assert_error(status, &body, 403, "permission_denied");
    let (status, body) = e
        .call(Method::POST, "/api/v1/keys", Auth::Key(&admin_key), Some(json!({ "name": "x", "scopes": ["read"] })))
        .await;
    assert_error(status, &body, 403, "permission_denied");

    // Users see only their own keys; an admin sees all.
    let (_, mine) = e.call(Method::GET, "/api/v1/keys", Auth::Bearer(&editor), None).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(2), "{mine}");
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("secret").is_none() && k["prefix"].as_str().unwrap().starts_with("aidoc_"))
    );
    let (_, all) = e.call(Method::GET, "/api/v1/keys?all=true", Auth::Bearer(&admin), None).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(4), "{all}");

    // Refused writes are audited with who and where.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let refused = e.audit(&admin, "auth.forbidden").await;
    assert!(
        refused.iter().any(|ev| ev["target_id"] == "POST /api/v1/categories"
            && ev["ip"] == "127.0.0.1"
            && ev["user_agent"] == AGENT),
        "{refused:#?}"
    );
}

fn forge(claims: &Value, secret: &[u8], alg: jsonwebtoken::Algorithm) -> String {
    jsonwebtoken::encode(&jsonwebtoken::Header::new(alg), claims, &jsonwebtoken::EncodingKey::from_secret(secret))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_revoked_tampered_and_wrong_algorithm_credentials_get_401() {
    let e = Edge::start(&[]).await;
    let admin = e.token(ADMIN_USER, ADMIN_PASSWORD).await;
    let payload: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(admin.split('.').nth(1).unwrap()).unwrap()).unwrap();
    let now = chrono::Utc::now().timestamp();
    let check = async |auth: Auth<'_>, code: &str, what: &str| {
        let (status, body) = e.call(Method::GET, "/api/v1/documents", auth, None).await;
        assert_eq!((status, body["code"].as_str()), (401, Some(code)), "{what}: {body}");
    };
    let (status, _) = e.call(Method::GET, "/api/v1/documents", Auth::Bearer(&admin), None).await;
    assert_eq!(status, 200, "the untouched token works");

    let mut expired = payload.clone();
    expired["iat"] = json!(now - 3600);
    expired["exp"] = json!(now - 1800);
    let token = forge(&expired, JWT_SECRET.as_bytes(), jsonwebtoken::Algorithm::HS256);
    check(Auth::Bearer(&token), "token_expired", "expired").await;

    let mut elevated = payload.clone();
    elevated["sub"] = json!(uuid::Uuid::now_v7().to_string());
    let parts: Vec<&str> = admin.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(elevated.to_string()), parts[2]);
    check(Auth::Bearer(&tampered), "unauthenticated", "tampered").await;

    let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    check(Auth::Bearer(&none), "unauthenticated", "alg none").await;
    let hs512 = forge(&payload, JWT_SECRET.as_bytes(), jsonwebtoken::Algorithm::HS512);
    check(Auth::Bearer(&hs512), "unauthenticated", "HS512").await;
    let foreign = forge(&payload, b"some-other-secret-some-other-secret", jsonwebtoken::Algorithm::HS256);
    check(Auth::Bearer(&foreign), "unauthenticated", "other secret").await;

    // A revoked key stops at once; an expired one too.
    let (key, key_id) = e.key(&admin, &["read"]).await;
    let (status, _) = e.call(Method::GET, "/api/v1/documents", Auth::Key(&key), None).await;
    assert_eq!(status, 200, "the key works (and is now cached)");
    let (status, _) = e.call(Method::DELETE, &format!("/api/v1/keys/{key_id}"), Auth::Bearer(&admin), None).await;
    assert_eq!(status, 204);
    check(Auth::Key(&key), "unauthenticated", "revoked key").await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (status, body) = e
        .call(
            Method::POST,
            "/api/v1/keys",
            Auth::Bearer(&admin),
            Some(json!({ "name": "short", "scopes": ["read"], "expires_at": soon })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let short = body["secret"].as_str().unwrap().to_owned();
    let (status, _) = e.call(Method::GET, "/api/v1/documents", Auth::Key(&short), None).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    check(Auth::Key(&short), "unauthenticated", "expired key").await;
    let (_, keys) = e.call(Method::GET, "/api/v1/keys", Auth::Bearer(&admin), None).await;
    let revoked = keys["items"].as_array().unwrap().iter().find(|k| k["id"] == key_id.as_str()).unwrap();
    assert!(revoked["revoked_at"].is_string() && revoked["last_used_at"].is_string(), "{revoked}");

    let rejected = e.audit(&admin, "auth.api_key_rejected").await;
    let reasons: Vec<&str> = rejected.iter().filter_map(|ev| ev["details"]["reason"].as_str()).collect();
    assert!(reasons.contains(&"expired"), "{rejected:#?}");
    let (_, metrics) = http_get(&format!("{}/metrics", e.gateway.admin_url()), &[]).await;
    assert!(
        metrics.lines().any(|l| l.starts_with("aidoc_auth_events_total") && l.contains("event=\"token_expired\"")),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_rotates_reuse_revokes_the_family_and_logout_ends_the_session() {
    let e = Edge::start(&[]).await;
    let (status, first) = e.login(ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!((first["token_type"].as_str(), first["expires_in"].as_u64()), (Some("Bearer"), Some(900)));
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let refresh = async |token: &str| {
        e.call(Method::POST, "/api/v1/auth/refresh", Auth::None, Some(json!({ "refresh_token": token }))).await
    };
    let (status, second) = refresh(&r1).await;
    assert_eq!(status, 200, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "rotated");
    let access = second["access_token"].as_str().unwrap().to_owned();
    let (status, _) = e.call(Method::GET, "/api/v1/auth/me", Auth::Bearer(&access), None).await;
    assert_eq!(status, 200);

    // r1 again: a copy is in use somewhere, so the whole session ends.
    let (status, body) = refresh(&r1).await;
    assert_error(status, &body, 401, "unauthenticated");
    let (status, body) = refresh(&r2).await;
    assert_error(status, &body, 401, "unauthenticated");
    let (status, body) = e.call(Method::GET, "/api/v1/auth/me", Auth::Bearer(&access), None).await;
    assert_error(status, &body, 401, "unauthenticated");
    let db = e.db.client().await;
    let live: i64 =
        db.query_one("SELECT count(*) FROM catalog.refresh_tokens WHERE revoked_at IS NULL", &[]).await.unwrap().get(0);
    assert_eq!(live, 0, "the family is revoked in the database");

    // Logout: the access token stops at once and its refresh token too.
    let (_, third) = e.login(ADMIN_USER, ADMIN_PASSWORD).await;
    let access = third["access_token"].as_str().unwrap().to_owned();
    let (status, _) = e.call(Method::GET, "/api/v1/auth/me", Auth::Bearer(&access), None).await;
    assert_eq!(status, 200);
    let (status, _) = e.call(Method::POST, "/api/v1/auth/logout", Auth::Bearer(&access), None).await;
    assert_eq!(status, 204);
    let (status, body) = e.call(Method::GET, "/api/v1/auth/me", Auth::Bearer(&access), None).await;
    assert_error(status, &body, 401, "unauthenticated");
    let (status, _) = refresh(third["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);

    let admin = e.token(ADMIN_USER, ADMIN_PASSWORD).await;
    let reuse = e.audit(&admin, "auth.refresh_reuse").await;
    assert_eq!(reuse.len(), 1, "{reuse:#?}");
    assert_eq!((reuse[0]["success"].as_bool(), reuse[0]["ip"].as_str()), (Some(false), Some("127.0.0.1")));
    assert_eq!(e.audit(&admin, "auth.logout").await.len(), 1);
    assert_eq!(e.audit(&admin, "auth.refresh").await.iter().filter(|ev| ev["action"] == "auth.refresh").count(), 1);
}

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

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_records_who_did_what_from_where() {
    let e = Edge::start(&[]).await;
    let admin = e.token(ADMIN_USER, ADMIN_PASSWORD).await;
    let (_, me) = e.call(Method::GET, "/api/v1/auth/me", Auth::Bearer(&admin), None).await;
    let admin_id = me["user"]["id"].as_str().unwrap().to_owned();
    let eddie = e.user(&admin, "eddie", "editor").await;
    let (status, body) = e
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{eddie}"),
            Auth::Bearer(&admin),
            Some(json!({ "display_name": "Eddie E." })),
        )
        .await;
    assert_eq!((status, body["display_name"].as_str()), (200, Some("Eddie E.")));
    let editor = e.token("eddie", "eddie-password-123").await;
    let (key, key_id) = e.key(&editor, &["read", "write"]).await;
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(b"audit me".to_vec()).file_name("a.txt"));
    let (status, _, up) =
        Edge::send(e.request(Method::POST, "/api/v1/documents", Auth::Key(&key)).multipart(form)).await;
    assert_eq!(status, 202, "{up}");
    let doc = up["items"][0]["document"]["id"].as_str().unwrap().to_owned();
    assert_eq!(up["items"][0]["document"]["created_by"].as_str(), Some(eddie.as_str()));
    let (status, _) = e.call(Method::DELETE, &format!("/api/v1/documents/{doc}"), Auth::Bearer(&editor), None).await;
    assert_eq!(status, 204);
    let (status, _) = e.call(Method::DELETE, &format!("/api/v1/keys/{key_id}"), Auth::Bearer(&editor), None).await;
    assert_eq!(status, 204);

    let (status, page) = e.call(Method::GET, "/api/v1/audit?limit=100", Auth::Bearer(&admin), None).await;
    assert_eq!(status, 200);
    let events = page["items"].as_array().unwrap();
    let find = |action: &str| {
        events.iter().find(|ev| ev["action"] == action).unwrap_or_else(|| panic!("{action} missing: {events:#?}"))
    };
    for ev in events.iter().filter(|ev| ev["details"]["first_admin"] != true) {
        assert_eq!((ev["ip"].as_str(), ev["user_agent"].as_str()), (Some("127.0.0.1"), Some(AGENT)), "{ev}");
    }
    let created = find("user.create");
    assert_eq!(
        (created["user_id"].as_str(), created["target_id"].as_str()),
        (Some(admin_id.as_str()), Some(eddie.as_str()))
    );
    assert_eq!(created["details"]["role"], "editor");
    assert_eq!(find("user.update")["details"]["display_name"], "Eddie E.");
    let upload = find("document.create");
    assert_eq!(
        (upload["user_id"].as_str(), upload["api_key_id"].as_str()),
        (Some(eddie.as_str()), Some(key_id.as_str()))
    );
    assert_eq!(upload["target_id"].as_str(), Some(doc.as_str()));
    let deleted = find("document.delete");
    assert_eq!((deleted["user_id"].as_str(), deleted["api_key_id"].as_str()), (Some(eddie.as_str()), None));
    assert_eq!(find("key.create")["details"]["scopes"], json!(["read", "write"]));
    assert_eq!(find("key.revoke")["target_id"].as_str(), Some(key_id.as_str()));
    let logins: Vec<&Value> = events.iter().filter(|ev| ev["action"] == "auth.login").collect();
    assert_eq!(logins.len(), 2, "admin and eddie");
    assert!(logins.iter().any(|ev| ev["user_id"] == eddie.as_str() && ev["success"] == true));

    // Filters and paging.
    let (_, mine) = e
        .call(Method::GET, &format!("/api/v1/audit?user_id={eddie}&action=document."), Auth::Bearer(&admin), None)
        .await;
    let actions: Vec<&str> =
        mine["items"].as_array().unwrap().iter().map(|ev| ev["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["document.delete", "document.create"], "newest first");
    let (_, p1) = e.call(Method::GET, "/api/v1/audit?limit=2", Auth::Bearer(&admin), None).await;
    let cursor = p1["next_cursor"].as_str().expect("more pages").to_owned();
    let (_, p2) =
        e.call(Method::GET, &format!("/api/v1/audit?limit=2&cursor={cursor}"), Auth::Bearer(&admin), None).await;
    assert_ne!(p1["items"][1]["id"], p2["items"][0]["id"]);
    assert_eq!(p1["items"].as_array().unwrap().len() + p2["items"].as_array().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_users_lose_their_sessions_and_keys_and_one_admin_always_remains() {
    let e = Edge::start(&[]).await;
    let admin = e.token(ADMIN_USER, ADMIN_PASSWORD).await;
    let (_, me) = e.call(Method::GET, "/api/v1/auth/me", Auth::Bearer(&admin), None).await;
    let admin_id = me["user"]["id"].as_str().unwrap().to_owned();
    let eddie = e.user(&admin, "eddie", "editor").await;
    let editor = e.token("eddie", "eddie-password-123").await;
    let (key, _) = e.key(&editor, &["write"]).await;
    assert_eq!(e.call(Method::GET, "/api/v1/tags", Auth::Key(&key), None).await.0, 200);
    assert_eq!(e.call(Method::GET, "/api/v1/tags", Auth::Bearer(&editor), None).await.0, 200);

    // Demoted: the next request already sees the viewer.
    let (status, _) = e
        .call(Method::PATCH, &format!("/api/v1/users/{eddie}"), Auth::Bearer(&admin), Some(json!({ "role": "viewer" })))
        .await;
    assert_eq!(status, 200);
    let (status, body) =
        e.call(Method::POST, "/api/v1/categories", Auth::Key(&key), Some(json!({ "name": "After demotion" }))).await;
    assert_error(status, &body, 403, "permission_denied");

    let (status, _) = e
        .call(Method::PATCH, &format!("/api/v1/users/{eddie}"), Auth::Bearer(&admin), Some(json!({ "disabled": true })))
        .await;
    assert_eq!(status, 200);
    for auth in [Auth::Bearer(&editor), Auth::Key(&key)] {
        let (status, body) = e.call(Method::GET, "/api/v1/tags", auth, None).await;
        assert_error(status, &body, 401, "unauthenticated");
    }
    let (status, body) = e.login("eddie", "eddie-password-123").await;
    assert_error(status, &body, 401, "unauthenticated");

    // The last enabled admin cannot demote or disable itself.
    for change in [json!({ "role": "editor" }), json!({ "disabled": true })] {
        let (status, body) =
            e.call(Method::PATCH, &format!("/api/v1/users/{admin_id}"), Auth::Bearer(&admin), Some(change)).await;
        assert_error(status, &body, 409, "conflict");
    }
    // A password change needs the current one and ends the sessions.
    let (status, body) = e
        .call(
            Method::PATCH,
            "/api/v1/auth/me",
            Auth::Bearer(&admin),
            Some(json!({ "password": "a brand new password", "current_password": "wrong wrong wrong" })),
        )
        .await;
    assert_error(status, &body, 401, "invalid_credentials");
    let (status, _) = e
        .call(
            Method::PATCH,
            "/api/v1/auth/me",
            Auth::Bearer(&admin),
            Some(json!({ "password": "a brand new password", "current_password": ADMIN_PASSWORD })),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(e.call(Method::GET, "/api/v1/tags", Auth::Bearer(&admin), None).await.0, 401);
    assert_eq!(e.login(ADMIN_USER, ADMIN_PASSWORD).await.0, 401);
    assert_eq!(e.login(ADMIN_USER, "a brand new password").await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn cors_and_security_headers_follow_the_configuration() {
    let e = Edge::start(&[
        ("AIDOC_GATEWAY__CORS_ORIGINS", "https://docs.example.com"),
        ("AIDOC_SECURITY_HEADERS__HSTS_MAX_AGE", "31536000"),
    ])
    .await;
    let preflight = |origin: &str| {
        e.http
            .request(Method::OPTIONS, e.url("/api/v1/documents"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization")
    };
    let (status, headers, _) = Edge::send(preflight("https://docs.example.com")).await;
    assert_eq!(status, 204);
    assert_eq!(headers["access-control-allow-origin"], "https://docs.example.com");
    assert!(headers["access-control-allow-headers"].to_str().unwrap().contains("authorization"));
    let (status, headers, body) = Edge::send(preflight("https://evil.example")).await;
    assert_error(status, &body, 403, "permission_denied");
    assert!(headers.get("access-control-allow-origin").is_none());

    let (status, headers, _) = Edge::send(
        e.request(Method::GET, "/api/v1/documents", Auth::None).header("origin", "https://docs.example.com"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(headers["access-control-allow-origin"], "https://docs.example.com");
    assert!(headers["access-control-expose-headers"].to_str().unwrap().contains("retry-after"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    assert_eq!(headers["strict-transport-security"], "max-age=31536000; includeSubDomains");
}

#[tokio::test(flavor = "multi_thread")]
async fn production_refuses_default_or_empty_secrets_and_names_each() {
    let mut gateway = Launch::new("gateway")
        .env("AIDOC_ENV", "production")
        .env("AIDOC_STORAGE__BACKEND", "s3")
        .env("AIDOC_STORAGE__S3__ENDPOINT", "http://127.0.0.1:9")
        .env("AIDOC_STORAGE__S3__ACCESS_KEY", "minioadmin")
        .env("AIDOC_STORAGE__S3__SECRET_KEY", "minioadmin")
        .spawn();
    assert_eq!(gateway.wait_exit(Duration::from_secs(20)).await, Some(64));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = gateway.drain_output().join("\n");
    assert!(out.contains("AIDOC_AUTH__JWT_SECRET: production refuses an empty or default JWT secret"), "{out}");
    assert!(out.contains("AIDOC_STORAGE__S3__SECRET_KEY"), "{out}");

    let mut api = Launch::new("api")
        .env("AIDOC_ENV", "production")
        .env("AIDOC_DATABASE__URL", "postgres://aidoc:postgres@127.0.0.1:9/aidoc")
        .env("AIDOC_ADMIN_PASSWORD", "short")
        .spawn();
    assert_eq!(api.wait_exit(Duration::from_secs(20)).await, Some(64));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = api.drain_output().join("\n");
    assert!(out.contains("AIDOC_DATABASE__URL: production refuses an empty or default database password"), "{out}");
    assert!(out.contains("AIDOC_ADMIN_PASSWORD"), "{out}");
    // Development starts without a JWT secret (a per-process one).
    let objects = tempfile::tempdir().unwrap();
    let mut dev = Launch::new("gateway").env("AIDOC_STORAGE__FS__ROOT", objects.path().display().to_string()).spawn();
    let started = Instant::now();
    while http_get(&format!("{}/health/live", dev.url()), &[]).await.0 != 200 {
        assert!(started.elapsed() < READY, "{}", dev.drain_output().join("\n"));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    dev.signal(Signal::SIGTERM);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_admin_is_created_once_with_a_generated_password_in_the_log() {
    let db = migrated_db().await;
    let mut api =
        Launch::new("api").env("AIDOC_DATABASE__URL", db.url.clone()).env("AIDOC_ADMIN_USERNAME", "root").spawn();
    api.wait_ready(READY).await;
    let started = Instant::now();
    let line = loop {
        let out = api.drain_output().to_vec();
        if let Some(l) = out.iter().find(|l| l.contains("created the first admin")) {
            break l.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{}", out.join("\n"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(line.contains("root") && line.contains("password"), "{line}");
    api.signal(Signal::SIGTERM);
    assert_eq!(api.wait_exit(Duration::from_secs(15)).await, Some(0));
    // A second start (and the subcommand) change nothing and print no password.
    let mut again =
        Launch::new("api").env("AIDOC_DATABASE__URL", db.url.clone()).env("AIDOC_ADMIN_USERNAME", "root").spawn();
    again.wait_ready(READY).await;
    let mut run =
        Launch::new("api").arg("ensure-admin").arg("--json").env("AIDOC_DATABASE__URL", db.url.clone()).spawn();
    assert_eq!(run.wait_exit(Duration::from_secs(20)).await, Some(0));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = run.drain_output().join("\n");
    assert!(out.contains(r#""created":false"#) && out.contains(r#""generated_password":null"#), "{out}");
    assert!(!again.drain_output().iter().any(|l| l.contains("created the first admin")));
    let n: i64 = db
        .client()
        .await
        .query_one("SELECT count(*) FROM catalog.users WHERE role = 'admin'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}
