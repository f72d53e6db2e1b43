use aidoc_testkit::service::Launch;
use aidoc_testkit::{ServiceProcess, TestDb};
use std::time::Duration;

pub const READY: Duration = Duration::from_secs(30);

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
    pub _db: TestDb,
}

pub async fn start_stack(extra_env: &[(&str, &str)]) -> Stack {
    let db = migrated_db().await;
    let with_env = |mut l: Launch| {
        for (k, v) in extra_env {
            l = l.env(k, *v);
        }
        l.env("AIDOC_DATABASE__URL", db.url.clone())
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
    Stack { parser, api, indexer, backup, gateway, _db: db }
}
