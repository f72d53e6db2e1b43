//! The audit log, disabled users, headers, production secrets and the first admin.

use super::*;

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
