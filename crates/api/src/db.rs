//! The api's connection pool (diesel-async over tokio-postgres, with the
//! same explicit timeouts as every other pool) and the mapping of database
//! errors to the closed error codes.

use aidoc_common::Secret;
use aidoc_common::db::DatabaseConfig;
use aidoc_proto::ErrorCode;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::AsyncPgConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use futures::FutureExt;
use std::time::Duration;

pub type PgPool = Pool<AsyncPgConnection>;
pub type Conn = Object<AsyncPgConnection>;

/// A pool for `url`; no connection is made until first use.
pub fn pool(url: &Secret, cfg: &DatabaseConfig, application_name: &str) -> Result<PgPool, String> {
    let mut pg: tokio_postgres::Config = url.expose().parse().map_err(|e| format!("database url: {e}"))?;
    pg.connect_timeout(cfg.connect_timeout);
    pg.application_name(application_name);
    pg.options(format!("-c statement_timeout={}", cfg.statement_timeout.as_millis()));
    let mut manager_config = ManagerConfig::<AsyncPgConnection>::default();
    manager_config.custom_setup = Box::new(move |_url| {
        let pg = pg.clone();
        async move {
            let (client, connection) = pg
                .connect(tokio_postgres::NoTls)
                .await
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?;
            AsyncPgConnection::try_from_client_and_connection(client, connection).await
        }
        .boxed()
    });
    // The URL given to the manager is unused: custom_setup connects.
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config("postgres://", manager_config);
    Pool::builder(manager)
        .max_size(cfg.max_connections as usize)
        .runtime(deadpool_runtime())
        .wait_timeout(Some(cfg.acquire_timeout))
        .create_timeout(Some(cfg.connect_timeout))
        .recycle_timeout(Some(cfg.connect_timeout))
        .build()
        .map_err(|e| format!("database pool: {e}"))
}

fn deadpool_runtime() -> deadpool::Runtime {
    deadpool::Runtime::Tokio1
}

/// A pooled connection, or `unavailable`.
pub async fn conn(pool: &PgPool) -> Result<Conn, tonic::Status> {
    pool.get().await.map_err(|e| {
        tracing::warn!(error = %e, "no database connection");
        ErrorCode::Unavailable.status("the database is unavailable")
    })
}

/// `SELECT 1` through the pool, for readiness.
pub async fn ping(pool: &PgPool) -> Result<(), String> {
    use diesel_async::RunQueryDsl;
    let mut c = tokio::time::timeout(Duration::from_secs(3), pool.get())
        .await
        .map_err(|_| "database: timed out".to_owned())?
        .map_err(|e| format!("database: {e}"))?;
    diesel::sql_query("SELECT 1").execute(&mut c).await.map_err(|e| format!("database: {e}"))?;
    Ok(())
}

/// Publishes pool usage as `aidoc_db_pool_connections{state}`.
pub fn record_pool_metrics(pool: &PgPool, name: &'static str) {
    let status = pool.status();
    let in_use = status.size.saturating_sub(status.available);
    let metric = aidoc_common::metrics::DB_POOL_CONNECTIONS;
    metrics::gauge!(metric, "pool" => name, "state" => "in_use").set(in_use as f64);
    metrics::gauge!(metric, "pool" => name, "state" => "idle").set(status.available as f64);
    metrics::gauge!(metric, "pool" => name, "state" => "max").set(status.max_size as f64);
}

/// Errors inside request handlers: either a status decided by the handler
/// or a database error mapped on the way out.
#[derive(Debug)]
pub enum Failure {
    Status(tonic::Status),
    Db(DieselError),
}

impl From<DieselError> for Failure {
    fn from(e: DieselError) -> Self {
        Failure::Db(e)
    }
}

impl From<tonic::Status> for Failure {
    fn from(s: tonic::Status) -> Self {
        Failure::Status(s)
    }
}

impl From<Failure> for tonic::Status {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Status(s) => s,
            Failure::Db(e) => db_status(e),
        }
    }
}

/// Maps a database error to the closed error codes; internals are logged,
/// never sent to the caller.
pub fn db_status(e: DieselError) -> tonic::Status {
    match e {
        DieselError::NotFound => ErrorCode::NotFound.status("not found"),
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            ErrorCode::AlreadyExists.status(format!("already exists ({})", info.constraint_name().unwrap_or("unique")))
        }
        DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => ErrorCode::NotFound
            .status(format!("a referenced record does not exist ({})", info.constraint_name().unwrap_or("reference"))),
        DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info) => ErrorCode::InvalidArgument
            .status(format!("a value is out of range ({})", info.constraint_name().unwrap_or("check"))),
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
            ErrorCode::Unavailable.status("the database connection was closed")
        }
        // PostgreSQL text cannot hold NUL: a caller's input, not a failure.
        DieselError::DatabaseError(_, info)
            if info.message().contains("invalid byte sequence")
                || info.message().contains("unsupported Unicode escape sequence") =>
        {
            ErrorCode::InvalidArgument.status("text must not contain NUL (\\0) characters")
        }
        DieselError::DatabaseError(_, info) if info.message().contains("statement timeout") => {
            ErrorCode::Timeout.status("the database query timed out")
        }
        other => {
            tracing::error!(error = %other, "database error");
            ErrorCode::Internal.status("internal database error")
        }
    }
}
