//! PostgreSQL for the services that own data: pooled connections with
//! explicit timeouts, a readiness check, and versioned SQL migrations.

use crate::Secret;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime, Timeouts};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://user:password@host:port/db`.
    pub url: Secret,
    /// Optional read replica for read-only paths (search).
    pub read_url: Secret,
    pub max_connections: u32,
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    /// How long a caller waits for a free pooled connection.
    #[serde(with = "humantime_serde")]
    pub acquire_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub statement_timeout: Duration,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: Secret::default(),
            read_url: Secret::default(),
            max_connections: 16,
            connect_timeout: Duration::from_secs(3),
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// Passwords that must never reach production.
const WEAK_PASSWORDS: [&str; 8] = ["", "postgres", "password", "changeme", "aidoc", "admin", "secret", "example"];

impl DatabaseConfig {
    /// Problems with these settings (`production` adds the password rules).
    pub fn problems(&self, production: bool) -> Vec<String> {
        let mut p = Vec::new();
        match self.url.expose().parse::<tokio_postgres::Config>() {
            _ if self.url.is_empty() => {
                p.push("AIDOC_DATABASE__URL: required (postgres://user:password@host:port/database)".into())
            }
            Err(_) => p.push("AIDOC_DATABASE__URL: not a valid postgres:// URL".into()),
            Ok(cfg) if production => {
                let pw = cfg.get_password().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
                if WEAK_PASSWORDS.contains(&pw.to_ascii_lowercase().as_str()) {
                    p.push("AIDOC_DATABASE__URL: production refuses an empty or default database password".into());
                }
            }
            Ok(_) => {}
        }
        if !self.read_url.is_empty() && self.read_url.expose().parse::<tokio_postgres::Config>().is_err() {
            p.push("AIDOC_DATABASE__READ_URL: not a valid postgres:// URL".into());
        }
        if self.max_connections == 0 {
            p.push("AIDOC_DATABASE__MAX_CONNECTIONS: must be at least 1".into());
        }
        p
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database url: {0}")]
    Url(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(String),
    #[error("no database connection: {0}")]
    Connect(String),
    #[error("database error: {0}")]
    Query(#[from] tokio_postgres::Error),
    #[error("migration {version} ({name}) was changed after it was applied (checksum {applied} ≠ {embedded})")]
    MigrationChanged { version: i64, name: String, applied: String, embedded: String },
    #[error(
        "the database has migration {0} that this release does not know: refusing to run an older release against a newer schema"
    )]
    MigrationUnknown(i64),
}

impl From<deadpool_postgres::PoolError> for DbError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::Connect(e.to_string())
    }
}

/// A pool for `url`. No connection is made until first use, so a service
/// starts (and reports not-ready) while the database is down.
pub fn pool(url: &Secret, cfg: &DatabaseConfig, application_name: &str) -> Result<Pool, DbError> {
    let mut pg: tokio_postgres::Config =
        url.expose().parse().map_err(|e: tokio_postgres::Error| DbError::Url(e.to_string()))?;
    pg.connect_timeout(cfg.connect_timeout);
    pg.application_name(application_name);
    pg.options(format!("-c statement_timeout={}", cfg.statement_timeout.as_millis()));
    let mgr =
        Manager::from_config(pg, tokio_postgres::NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
    Pool::builder(mgr)
        .max_size(cfg.max_connections as usize)
        .runtime(Runtime::Tokio1)
        .timeouts(Timeouts {
            wait: Some(cfg.acquire_timeout),
            create: Some(cfg.connect_timeout),
            recycle: Some(cfg.connect_timeout),
        })
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))
}

/// `SELECT 1` through the pool, for readiness.
pub async fn ping(pool: &Pool) -> Result<(), String> {
    let client = pool.get().await.map_err(|e| format!("database: {e}"))?;
    client.simple_query("SELECT 1").await.map_err(|e| format!("database: {e}"))?;
    Ok(())
}

/// Publishes pool usage as `aidoc_db_pool_connections{state}`.
pub fn record_pool_metrics(pool: &Pool, name: &'static str) {
    let status = pool.status();
    let in_use = status.size.saturating_sub(status.available);
    metrics::gauge!(crate::metrics::DB_POOL_CONNECTIONS, "pool" => name, "state" => "in_use").set(in_use as f64);
    metrics::gauge!(crate::metrics::DB_POOL_CONNECTIONS, "pool" => name, "state" => "idle")
        .set(status.available as f64);
    metrics::gauge!(crate::metrics::DB_POOL_CONNECTIONS, "pool" => name, "state" => "max").set(status.max_size as f64);
}

/// One versioned SQL migration. Migrations are expand/contract only and are
/// never edited once released (a checksum guards that).
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

fn checksum(sql: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(sql.as_bytes()))
}

/// Applies the pending `migrations` (sorted by version) in `schema`, each in
/// its own transaction, under an advisory lock so that concurrent runs wait
/// for each other. Returns the versions applied now.
pub async fn migrate(
    client: &mut tokio_postgres::Client,
    schema: &str,
    migrations: &[Migration],
) -> Result<Vec<i64>, DbError> {
    let lock_key = i64::from_be_bytes(sha2_prefix(schema));
    client.execute("SELECT pg_advisory_lock($1)", &[&lock_key]).await?;
    let result = migrate_locked(client, schema, migrations).await;
    client.execute("SELECT pg_advisory_unlock($1)", &[&lock_key]).await?;
    result
}

fn sha2_prefix(s: &str) -> [u8; 8] {
    use sha2::Digest;
    let d = sha2::Sha256::digest(format!("aidoc-migrate:{s}").as_bytes());
    let mut out = [0u8; 8];
    out.copy_from_slice(&d[..8]);
    out
}

async fn migrate_locked(
    client: &mut tokio_postgres::Client,
    schema: &str,
    migrations: &[Migration],
) -> Result<Vec<i64>, DbError> {
    client
        .batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
                 version bigint PRIMARY KEY,
                 name text NOT NULL,
                 checksum text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );"
        ))
        .await?;
    let rows = client.query(&format!("SELECT version, name, checksum FROM {schema}.schema_migrations"), &[]).await?;
    let applied: std::collections::BTreeMap<i64, String> =
        rows.iter().map(|r| (r.get::<_, i64>(0), r.get::<_, String>(2))).collect();
    for version in applied.keys() {
        if !migrations.iter().any(|m| m.version == *version) {
            return Err(DbError::MigrationUnknown(*version));
        }
    }
    let mut done = Vec::new();
    let mut sorted = migrations.to_vec();
    sorted.sort_by_key(|m| m.version);
    for m in sorted {
        let sum = checksum(m.sql);
        if let Some(prev) = applied.get(&m.version) {
            if *prev != sum {
                return Err(DbError::MigrationChanged {
                    version: m.version,
                    name: m.name.into(),
                    applied: prev.clone(),
                    embedded: sum,
                });
            }
            continue;
        }
        let tx = client.transaction().await?;
        tx.batch_execute(m.sql).await?;
        tx.execute(
            &format!("INSERT INTO {schema}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"),
            &[&m.version, &m.name, &sum],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(schema, version = m.version, name = m.name, "applied migration");
        done.push(m.version);
    }
    Ok(done)
}

/// Connects one client outside any pool (for migrations and tools).
pub async fn connect(url: &Secret, timeout: Duration) -> Result<tokio_postgres::Client, DbError> {
    let mut pg: tokio_postgres::Config =
        url.expose().parse().map_err(|e: tokio_postgres::Error| DbError::Url(e.to_string()))?;
    pg.connect_timeout(timeout);
    let (client, connection) = pg.connect(tokio_postgres::NoTls).await.map_err(|e| DbError::Connect(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "database connection closed");
        }
    });
    Ok(client)
}
