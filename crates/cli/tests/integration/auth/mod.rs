//! Users and access through the real gateway and api on a real PostgreSQL:
//! every route needs credentials, roles and key scopes decide what a caller
//! may do, bad tokens and bodies get typed errors, rate limits answer 429,
//! and every change and sign-in lands in the audit log.

mod accounts;
mod credentials;
mod limits;

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
