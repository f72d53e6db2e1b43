//! aidoc-api configuration.

use aidoc_common::config::{BaseConfig, Environment, ServiceConfig};
use aidoc_common::db::DatabaseConfig;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    pub database: DatabaseConfig,
    pub jobs: JobsConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Attempts before a job is marked failed.
    pub max_attempts: u32,
    /// First retry delay; doubles per attempt.
    #[serde(with = "humantime_serde")]
    pub retry_backoff: Duration,
    #[serde(with = "humantime_serde")]
    pub max_lease: Duration,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig { max_attempts: 5, retry_backoff: Duration::from_secs(5), max_lease: Duration::from_secs(600) }
    }
}

impl ServiceConfig for ApiConfig {
    const SERVICE: &'static str = "api";
    const DEFAULT_LISTEN_PORT: u16 = 50052;
    const DEFAULT_ADMIN_PORT: u16 = 9181;

    fn validate(&self, base: &BaseConfig) -> Vec<String> {
        let mut p = self.database.problems(base.env == Environment::Production);
        if self.jobs.max_attempts == 0 {
            p.push("AIDOC_JOBS__MAX_ATTEMPTS: must be at least 1".into());
        }
        p
    }
}
