use aidoc_testkit::service::Launch;
use aidoc_testkit::{ServiceProcess, TestDb};
use std::time::Duration;

pub const READY: Duration = Duration::from_secs(60);
/// The first admin of every test stack.
pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "stack-admin-password-0123";
/// Every gateway of a test stack signs with this.
pub const JWT_SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

pub async fn migrated_db() -> TestDb {
    TestDb::new(&[("catalog", aidoc_api::migrations::MIGRATIONS), ("search", aidoc_indexer::migrations::MIGRATIONS)])
        .await
}

/// The four gRPC services and the gateway in front of them, all ready.
pub struct Stack {
    pub parser: ServiceProcess,
    pub api: ServiceProcess,
    pub indexer: ServiceProcess,
    pub backup: ServiceProcess,
    pub gateway: ServiceProcess,
    pub db: TestDb,
    /// What every service was started with (for restarts).
    pub env: Vec<(String, String)>,
    /// The filesystem object store, unless the test chose S3.
    pub _storage: Option<tempfile::TempDir>,
    /// An access token of the first admin.
    pub admin_token: String,
    /// A `read`+`write` key of the first admin, for tests and benches that
    /// outlive an access token.
    pub api_key: String,
    /// The backup service's backup folder (its scheduler is off: tests trigger backups themselves).
    pub _backups: tempfile::TempDir,
}

impl Stack {
    fn launch(&self, name: &str) -> Launch {
        let mut l = Launch::new(name);
        for (k, v) in &self.env {
            l = l.env(k, v.clone());
        }
        l
    }

    /// An HTTP client that sends the stack's API key with every request.
    pub fn client(&self, timeout: Duration) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-api-key", self.api_key.parse().expect("key header"));
        reqwest::Client::builder().timeout(timeout).default_headers(headers).build().expect("http client")
    }

    /// `("authorization", "Bearer <admin token>")` for `http_get`.
    pub fn admin_header(&self) -> (&'static str, String) {
        ("authorization", format!("Bearer {}", self.admin_token))
    }

    /// Starts another indexer next to (or instead of) the first one.
    pub async fn spawn_indexer(&self) -> ServiceProcess {
        let mut p = self
            .launch("indexer")
            .env("AIDOC_API_URL", self.api.url())
            .env("AIDOC_PARSER_URL", self.parser.url())
            .spawn();
        p.wait_ready(READY).await;
        p
    }
}

pub async fn start_stack(extra_env: &[(&str, &str)]) -> Stack {
    let db = migrated_db().await;
    let mut env: Vec<(String, String)> = vec![
        ("AIDOC_DATABASE__URL".into(), db.url.clone()),
        ("AIDOC_ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()),
        ("AIDOC_AUTH__JWT_SECRET".into(), JWT_SECRET.into()),
        // Tests poll hard; the rate-limit tests set their own figures.
        ("AIDOC_RATE_LIMIT__USER__PER_MINUTE".into(), "0".into()),
        ("AIDOC_RATE_LIMIT__KEY__PER_MINUTE".into(), "0".into()),
        ("AIDOC_EMBEDDING__MODEL_DIR".into(), aidoc_testkit::paths::model_dir().display().to_string()),
    ];
    let storage = if extra_env.iter().any(|(k, _)| *k == "AIDOC_STORAGE__BACKEND") {
        None
    } else {
        let dir = tempfile::tempdir().expect("storage dir");
        env.push(("AIDOC_STORAGE__BACKEND".into(), "fs".into()));
        env.push(("AIDOC_STORAGE__FS__ROOT".into(), dir.path().display().to_string()));
        Some(dir)
    };
    let backups = tempfile::tempdir().expect("backups dir");
    env.push(("AIDOC_BACKUP__SCHEDULER".into(), "false".into()));
    env.push(("AIDOC_BACKUP__TARGET__FS__ROOT".into(), backups.path().display().to_string()));
    for (k, v) in extra_env {
        env.retain(|(ek, _)| ek != k);
        env.push((k.to_string(), v.to_string()));
    }
    let with_env = |mut l: Launch| {
        for (k, v) in &env {
            l = l.env(k, v.clone());
        }
        l
    };
    let mut parser = with_env(Launch::new("parser")).spawn();
    let mut api = with_env(Launch::new("api")).spawn();
    let mut backup = with_env(Launch::new("backup")).spawn();
    parser.wait_ready(READY).await;
    api.wait_ready(READY).await;
    backup.wait_ready(READY).await;
    let mut indexer =
        with_env(Launch::new("indexer")).env("AIDOC_API_URL", api.url()).env("AIDOC_PARSER_URL", parser.url()).spawn();
    indexer.wait_ready(READY).await;
    let mut gateway = with_env(Launch::new("gateway"))
        .env("AIDOC_API_URL", api.url())
        .env("AIDOC_INDEXER_URL", indexer.url())
        .env("AIDOC_PARSER_URL", parser.url())
        .env("AIDOC_BACKUP_URL", backup.url())
        .spawn();
    gateway.wait_ready(READY).await;
    let base = gateway.url();
    let admin_token = login(&base, ADMIN_USER, ADMIN_PASSWORD).await["access_token"]
        .as_str()
        .expect("the first admin signs in")
        .to_owned();
    let api_key = create_key(&base, &admin_token, "test stack", &["read", "write"]).await;
    Stack { parser, api, indexer, backup, gateway, db, env, _storage: storage, _backups: backups, admin_token, api_key }
}

/// Signs in; returns the token answer (panics unless 200).
pub async fn login(base: &str, username: &str, password: &str) -> serde_json::Value {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("login");
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    assert_eq!(status, 200, "login as {username}: {body}");
    body
}

/// Creates an API key with `scopes` for the signed-in user; returns its secret.
pub async fn create_key(base: &str, token: &str, name: &str, scopes: &[&str]) -> String {
    let resp = reqwest::Client::new()
        .post(format!("{base}/api/v1/keys"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "name": name, "scopes": scopes }))
        .send()
        .await
        .expect("create key");
    let status = resp.status();
    let body: serde_json::Value = resp.json().await.unwrap_or_default();
    assert_eq!(status, 201, "create key: {body}");
    body["secret"].as_str().expect("secret").to_owned()
}

static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Tests that load the machine (a whole stack, embeddings) or measure time
/// (restart within 5 s, drain) run one at a time, so neither skews the other
/// on a 2-core machine.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.lock().await
}

/// Uploads one file with the stack's key (and `title` when not empty); returns the document id.
pub async fn upload_file(stack: &Stack, name: &str, bytes: Vec<u8>, title: &str) -> String {
    let mut form =
        reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    if !title.is_empty() {
        form = form.text("title", title.to_owned());
    }
    let resp = stack
        .client(Duration::from_secs(60))
        .post(format!("{}/api/v1/documents", stack.gateway.url()))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let body: serde_json::Value = resp.json().await.expect("json");
    body["items"][0]["document"]["id"].as_str().unwrap_or_else(|| panic!("upload: {body}")).to_owned()
}

/// Waits (up to 5 minutes) until the document is `ready` or `failed`; returns it.
pub async fn settled(stack: &Stack, id: &str) -> serde_json::Value {
    let started = std::time::Instant::now();
    let http = stack.client(Duration::from_secs(30));
    loop {
        let d: serde_json::Value = http
            .get(format!("{}/api/v1/documents/{id}", stack.gateway.url()))
            .send()
            .await
            .expect("get")
            .json()
            .await
            .expect("json");
        if matches!(d["status"].as_str(), Some("ready" | "failed")) {
            return d;
        }
        assert!(started.elapsed() < Duration::from_secs(300), "{id} not settled: {d:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
