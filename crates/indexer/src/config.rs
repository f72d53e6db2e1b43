//! aidoc-indexer configuration.

use aidoc_common::config::{BaseConfig, Environment, ServiceConfig};
use aidoc_common::db::DatabaseConfig;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexerConfig {
    pub database: DatabaseConfig,
    /// The api service (job queue), e.g. `http://api:50052`.
    pub api_url: String,
    /// The parser service, e.g. `http://parser:50051`.
    pub parser_url: String,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        IndexerConfig {
            database: DatabaseConfig::default(),
            api_url: "http://127.0.0.1:50052".into(),
            parser_url: "http://127.0.0.1:50051".into(),
        }
    }
}

impl ServiceConfig for IndexerConfig {
    const SERVICE: &'static str = "indexer";
    const DEFAULT_LISTEN_PORT: u16 = 50053;
    const DEFAULT_ADMIN_PORT: u16 = 9183;

    fn validate(&self, base: &BaseConfig) -> Vec<String> {
        let mut p = self.database.problems(base.env == Environment::Production);
        for (key, url) in [("AIDOC_API_URL", &self.api_url), ("AIDOC_PARSER_URL", &self.parser_url)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                p.push(format!("{key}: expected an http:// or https:// URL, got {url:?}"));
            }
        }
        p
    }
}
