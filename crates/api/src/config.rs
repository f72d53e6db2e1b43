//! aidoc-api configuration.

use aidoc_common::Secret;
use aidoc_common::config::{BaseConfig, Environment, ServiceConfig};
use aidoc_common::db::DatabaseConfig;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    pub database: DatabaseConfig,
    pub jobs: JobsConfig,
    pub login: LoginConfig,
    /// The first admin's user name (`AIDOC_ADMIN_USERNAME`), created when no user exists.
    pub admin_username: String,
    /// The first admin's password (`AIDOC_ADMIN_PASSWORD[_FILE]`); empty: one is
    /// generated and shown once.
    pub admin_password: Secret,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            database: DatabaseConfig::default(),
            jobs: JobsConfig::default(),
            login: LoginConfig::default(),
            admin_username: "admin".into(),
            admin_password: Secret::default(),
        }
    }
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

/// Account protection against password guessing from many addresses (the
/// gateway throttles each address on its own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoginConfig {
    /// Consecutive failed sign-ins after which an account is locked.
    pub lockout_threshold: u32,
    /// The first lock's length; each further failure doubles it.
    #[serde(with = "humantime_serde")]
    pub lockout_base: Duration,
    /// The longest lock.
    #[serde(with = "humantime_serde")]
    pub lockout_max: Duration,
    /// Refresh-token lifetime when the caller does not say.
    #[serde(with = "humantime_serde")]
    pub refresh_ttl: Duration,
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            lockout_threshold: 10,
            lockout_base: Duration::from_secs(60),
            lockout_max: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

impl ServiceConfig for ApiConfig {
    const SERVICE: &'static str = "api";
    const DEFAULT_LISTEN_PORT: u16 = 50052;
    const DEFAULT_ADMIN_PORT: u16 = 9181;

    fn validate(&self, base: &BaseConfig) -> Vec<String> {
        let production = base.env == Environment::Production;
        let mut p = self.database.problems(production);
        if self.jobs.max_attempts == 0 {
            p.push("AIDOC_JOBS__MAX_ATTEMPTS: must be at least 1".into());
        }
        if self.login.lockout_threshold == 0 {
            p.push("AIDOC_LOGIN__LOCKOUT_THRESHOLD: must be at least 1".into());
        }
        if self.login.lockout_base.is_zero() || self.login.lockout_max < self.login.lockout_base {
            p.push("AIDOC_LOGIN__LOCKOUT_BASE / AIDOC_LOGIN__LOCKOUT_MAX: need 0 < base <= max".into());
        }
        if self.login.refresh_ttl < Duration::from_secs(60) {
            p.push("AIDOC_LOGIN__REFRESH_TTL: must be at least 1m".into());
        }
        if let Err(why) = crate::identity::users::clean_username(&self.admin_username) {
            p.push(format!("AIDOC_ADMIN_USERNAME: {why}"));
        }
        if !self.admin_password.expose().is_empty() {
            if let Err(why) = crate::identity::passwords::check_policy(self.admin_password.expose()) {
                p.push(format!("AIDOC_ADMIN_PASSWORD: {why}"));
            } else if production && crate::identity::passwords::is_well_known(self.admin_password.expose()) {
                p.push("AIDOC_ADMIN_PASSWORD: production refuses a default or well-known password".into());
            }
        }
        p
    }
}
