use aidoc_testkit::service::Launch;
use aidoc_testkit::{ServiceProcess, TestDb};
use std::time::Duration;

pub const READY: Duration = Duration::from_secs(60);

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
    env.extend(extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
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
    Stack { parser, api, indexer, backup, gateway, db, env, _storage: storage, _backups: backups }
}

static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Tests that load the machine (a whole stack, embeddings) or measure time
/// (restart within 5 s, drain) run one at a time, so neither skews the other
/// on a 2-core machine.
pub async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.lock().await
}
