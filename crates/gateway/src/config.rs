//! aidoc-gateway configuration.

use aidoc_common::config::{BaseConfig, ServiceConfig};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    pub api_url: String,
    pub indexer_url: String,
    pub parser_url: String,
    pub backup_url: String,
    pub gateway: HttpConfig,
    pub storage: aidoc_storage::StorageConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Largest accepted upload, e.g. `100MiB`.
    pub upload_limit: String,
    /// Largest accepted JSON body, e.g. `1MiB`.
    pub json_limit: String,
    /// Origins allowed by CORS; empty = same origin only.
    pub cors_origins: Vec<String>,
    /// HTTP worker threads; 0 = one per core.
    pub workers: u32,
    /// How often leftovers in object storage are swept (stale staging
    /// objects, removals whose claimer died), e.g. `10m`.
    #[serde(with = "humantime_serde")]
    pub storage_sweep_interval: std::time::Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            upload_limit: "100MiB".into(),
            json_limit: "1MiB".into(),
            cors_origins: vec![],
            workers: 0,
            storage_sweep_interval: std::time::Duration::from_secs(600),
        }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            api_url: "http://127.0.0.1:50052".into(),
            indexer_url: "http://127.0.0.1:50053".into(),
            parser_url: "http://127.0.0.1:50051".into(),
            backup_url: "http://127.0.0.1:50054".into(),
            gateway: HttpConfig::default(),
            storage: aidoc_storage::StorageConfig::default(),
        }
    }
}

/// Parses sizes such as `100MiB`, `512KiB`, `1GB`, `1048576`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

impl GatewayConfig {
    pub fn upload_limit_bytes(&self) -> u64 {
        parse_size(&self.gateway.upload_limit).unwrap_or(100 << 20)
    }
    pub fn json_limit_bytes(&self) -> usize {
        parse_size(&self.gateway.json_limit).unwrap_or(1 << 20) as usize
    }
}

impl ServiceConfig for GatewayConfig {
    const SERVICE: &'static str = "gateway";
    const DEFAULT_LISTEN_PORT: u16 = 8080;
    const DEFAULT_ADMIN_PORT: u16 = 9180;

    fn validate(&self, base: &BaseConfig) -> Vec<String> {
        let mut p = self.storage.validate(base.env == aidoc_common::config::Environment::Production);
        for (key, url) in [
            ("AIDOC_API_URL", &self.api_url),
            ("AIDOC_INDEXER_URL", &self.indexer_url),
            ("AIDOC_PARSER_URL", &self.parser_url),
            ("AIDOC_BACKUP_URL", &self.backup_url),
        ] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                p.push(format!("{key}: expected an http:// or https:// URL, got {url:?}"));
            }
        }
        for (key, v) in [
            ("AIDOC_GATEWAY__UPLOAD_LIMIT", &self.gateway.upload_limit),
            ("AIDOC_GATEWAY__JSON_LIMIT", &self.gateway.json_limit),
        ] {
            match parse_size(v) {
                Some(0) | None => p.push(format!("{key}: expected a size such as 100MiB, got {v:?}")),
                Some(_) => {}
            }
        }
        for origin in &self.gateway.cors_origins {
            if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
                p.push(format!("AIDOC_GATEWAY__CORS_ORIGINS: {origin:?} is not an origin (scheme://host[:port])"));
            }
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100MiB"), Some(100 * 1024 * 1024));
        assert_eq!(parse_size("1 KB"), Some(1000));
        assert_eq!(parse_size("42"), Some(42));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("99999999999999999999GiB"), None);
    }
}
