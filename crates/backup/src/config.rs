//! aidoc-backup configuration.

use aidoc_common::config::{BaseConfig, Environment, ServiceConfig};
use aidoc_common::db::DatabaseConfig;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BackupServiceConfig {
    pub database: DatabaseConfig,
}

impl ServiceConfig for BackupServiceConfig {
    const SERVICE: &'static str = "backup";
    const DEFAULT_LISTEN_PORT: u16 = 50054;
    const DEFAULT_ADMIN_PORT: u16 = 9184;

    fn validate(&self, base: &BaseConfig) -> Vec<String> {
        self.database.problems(base.env == Environment::Production)
    }
}
