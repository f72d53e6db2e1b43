//! What can go wrong with a backup, a restore or an archive, typed so that the CLI prints a clear message and the
//! admin service maps it to an error code.

use aidoc_proto::ErrorCode;
use aidoc_storage::StorageError;

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("no backup named {0:?} (see `aidoc-backup list`)")]
    NotFound(String),
    /// The backup has no `backup_info.json`: it was interrupted or is still being written.
    #[error("backup {0:?} is incomplete (it has no backup_info.json: interrupted or still running) and cannot be used")]
    Incomplete(String),
    /// A file is missing, has the wrong size or the wrong SHA-256: nothing was restored.
    #[error("backup {name:?} failed verification, nothing was changed:\n  - {}", problems.join("\n  - "))]
    Corrupt { name: String, problems: Vec<String> },
    /// The restored database does not hold what the backup recorded.
    #[error("the restored database differs from backup {name:?}:\n  - {}", problems.join("\n  - "))]
    Mismatch { name: String, problems: Vec<String> },
    #[error(
        "the target database is not empty ({0}); restore refuses to overwrite it without --force (which drops the catalog and search schemas first)"
    )]
    TargetNotEmpty(String),
    #[error("{tool} failed ({status}): {stderr}")]
    Tool { tool: String, status: String, stderr: String },
    #[error(
        "cannot run {tool} ({path}): {source}. Set AIDOC_BACKUP__PG_BIN_DIR to the folder with the PostgreSQL client tools matching the server"
    )]
    ToolMissing {
        tool: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(String),
    #[error("object storage: {0}")]
    Storage(#[from] StorageError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Another backup, restore or cleanup is running in this service.
    #[error("another backup operation is running: {0}")]
    Busy(String),
    #[error("aidoc-api: {0}")]
    Api(String),
    #[error("this build has no embedded migrations and cannot restore; rebuild from a full source tree")]
    NoMigrations,
}

impl BackupError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        BackupError::Io { context: context.into(), source }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            BackupError::NotFound(_) => ErrorCode::NotFound,
            BackupError::Incomplete(_) => ErrorCode::Conflict,
            BackupError::Corrupt { .. } => ErrorCode::Corrupt,
            BackupError::Mismatch { .. } => ErrorCode::Corrupt,
            BackupError::TargetNotEmpty(_) => ErrorCode::Conflict,
            BackupError::Tool { .. } => ErrorCode::Internal,
            BackupError::ToolMissing { .. } => ErrorCode::Unavailable,
            BackupError::Database(_) => ErrorCode::Unavailable,
            BackupError::Storage(e) if e.is_not_found() => ErrorCode::NotFound,
            BackupError::Storage(_) => ErrorCode::Unavailable,
            BackupError::Io { .. } => ErrorCode::Internal,
            BackupError::Invalid(_) => ErrorCode::InvalidArgument,
            BackupError::Busy(_) => ErrorCode::Conflict,
            BackupError::Api(_) => ErrorCode::Unavailable,
            BackupError::NoMigrations => ErrorCode::Internal,
        }
    }

    pub fn to_status(&self) -> tonic::Status {
        self.code().status(self.to_string())
    }
}

impl From<tokio_postgres::Error> for BackupError {
    fn from(e: tokio_postgres::Error) -> Self {
        // The server's own message (e.g. "permission denied to create database") is in the source.
        let detail = e.as_db_error().map(|d| d.message().to_string()).unwrap_or_else(|| e.to_string());
        BackupError::Database(detail)
    }
}

impl From<aidoc_common::db::DbError> for BackupError {
    fn from(e: aidoc_common::db::DbError) -> Self {
        BackupError::Database(e.to_string())
    }
}
