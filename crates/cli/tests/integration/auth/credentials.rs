//! Which credentials open which routes: roles, key scopes, expiry, revocation, tampering, refresh.

use super::*;

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
