//! aidoc-gateway configuration.

use aidoc_common::Secret;
use aidoc_common::config::{BaseConfig, ServiceConfig};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    pub api_url: String,
    pub indexer_url: String,
    pub parser_url: String,
    pub backup_url: String,
    pub gateway: HttpConfig,
    pub storage: aidoc_storage::StorageConfig,
    pub auth: AuthConfig,
    pub rate_limit: RateLimitConfig,
    pub security_headers: SecurityHeadersConfig,
}

/// `auth.*`: access tokens (JWT, HS256) this gateway signs and checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// The HS256 signing secret, shared by every gateway instance
    /// (`AIDOC_AUTH__JWT_SECRET[_FILE]`). Empty outside production: a random
    /// one per process (tokens then die with it).
    pub jwt_secret: Secret,
    #[serde(with = "humantime_serde")]
    pub access_ttl: Duration,
    #[serde(with = "humantime_serde")]
    pub refresh_ttl: Duration,
    /// `iss` and `aud` of the tokens.
    pub issuer: String,
    /// How long a verified API key or session is trusted before it is checked
    /// with the api again (revocations on another instance take this long).
    #[serde(with = "humantime_serde")]
    pub cache_ttl: Duration,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            jwt_secret: Secret::default(),
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            issuer: "aidoc".into(),
            cache_ttl: Duration::from_secs(30),
        }
    }
}

/// A token bucket: `per_minute` requests on average, bursts of `burst`.
/// `per_minute = 0` turns the limit off.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limit {
    pub per_minute: u32,
    pub burst: u32,
}

impl Default for Limit {
    fn default() -> Self {
        Limit { per_minute: 600, burst: 120 }
    }
}

/// `rate_limit.*`, per gateway instance (two instances behind the edge
/// allow twice the figures).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Per signed-in user (access tokens).
    pub user: Limit,
    /// Per API key.
    pub key: Limit,
    /// Per client address, for requests without valid credentials.
    pub ip: Limit,
    /// Sign-in attempts per client address and user name.
    pub login: Limit,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            user: Limit { per_minute: 1200, burst: 300 },
            key: Limit { per_minute: 1200, burst: 300 },
            ip: Limit { per_minute: 120, burst: 60 },
            login: Limit { per_minute: 5, burst: 5 },
        }
    }
}

/// `security_headers.*`: headers on every gateway response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityHeadersConfig {
    pub enabled: bool,
    pub content_security_policy: String,
    pub frame_options: String,
    pub referrer_policy: String,
    /// `Strict-Transport-Security` max-age in seconds; 0 = not sent (set it
    /// when clients reach the gateway over HTTPS only).
    pub hsts_max_age: u64,
    /// The policy on the web UI's pages and files (everything outside
    /// `/api`, `/mcp`, `/health` and `/metrics`): the app loads only its own
    /// scripts and styles, never inline ones.
    pub web_content_security_policy: String,
}

impl Default for SecurityHeadersConfig {
    fn default() -> Self {
        SecurityHeadersConfig {
            enabled: true,
            content_security_policy: "default-src 'none'; frame-ancestors 'none'".into(),
            frame_options: "DENY".into(),
            referrer_policy: "no-referrer".into(),
            hsts_max_age: 0,
            web_content_security_policy: WEB_CSP.into(),
        }
    }
}

/// The web UI's default policy: same-origin scripts, styles, images and
/// API calls only; no inline code, no framing, no plugins.
pub const WEB_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// JWT secrets that must never reach production (compared in lower case).
const WEAK_JWT_SECRETS: [&str; 8] =
    ["", "secret", "changeme", "change-me", "jwt-secret", "aidoc", "example", "password"];
/// The shortest production JWT secret (HS256 wants at least 256 bits).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Bounds of `gateway.mcp_token_budget`: room for one chunk with its
/// citation, and well below what agents accept from one tool call.
pub const MIN_MCP_TOKEN_BUDGET: u32 = 1000;
pub const MAX_MCP_TOKEN_BUDGET: u32 = 20000;

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
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed
    /// when finding the client address for rate limits and the audit log.
    pub trusted_proxies: Vec<String>,
    /// How clients reach this gateway, e.g. `https://docs.example.com`
    /// (no trailing slash): links in MCP citations start with it. Empty = the
    /// scheme and host of each request.
    pub public_url: String,
    /// The most tokens one MCP tool result may hold (estimated
    /// conservatively); longer results end with how to fetch the rest.
    pub mcp_token_budget: u32,
    /// The built web UI (`web/dist`) served at `/`; unset = no UI (the root
    /// then says how to build it).
    pub web_dir: Option<String>,
    /// How often this gateway adds its request figures to the monitor data
    /// in the api (the monitor page's request rate, latency and usage).
    #[serde(with = "humantime_serde")]
    pub monitor_flush_interval: std::time::Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            upload_limit: "100MiB".into(),
            json_limit: "1MiB".into(),
            cors_origins: vec![],
            workers: 0,
            storage_sweep_interval: std::time::Duration::from_secs(600),
            trusted_proxies: ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
                .map(String::from)
                .to_vec(),
            public_url: String::new(),
            mcp_token_budget: 8000,
            web_dir: None,
            monitor_flush_interval: std::time::Duration::from_secs(10),
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
            auth: AuthConfig::default(),
            rate_limit: RateLimitConfig::default(),
            security_headers: SecurityHeadersConfig::default(),
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
        let production = base.env == aidoc_common::config::Environment::Production;
        let mut p = self.storage.validate(production);
        let secret = self.auth.jwt_secret.expose();
        if production && WEAK_JWT_SECRETS.contains(&secret.trim().to_ascii_lowercase().as_str()) {
            p.push("AIDOC_AUTH__JWT_SECRET: production refuses an empty or default JWT secret".into());
        } else if (production || !secret.is_empty()) && secret.len() < MIN_JWT_SECRET_BYTES {
            p.push(format!(
                "AIDOC_AUTH__JWT_SECRET: at least {MIN_JWT_SECRET_BYTES} bytes (e.g. openssl rand -hex 32)"
            ));
        }
        if self.auth.access_ttl < Duration::from_secs(10) || self.auth.access_ttl > Duration::from_secs(24 * 3600) {
            p.push("AIDOC_AUTH__ACCESS_TTL: between 10s and 24h".into());
        }
        if self.auth.refresh_ttl < self.auth.access_ttl || self.auth.refresh_ttl > Duration::from_secs(365 * 24 * 3600)
        {
            p.push("AIDOC_AUTH__REFRESH_TTL: at least the access TTL and at most 365 days".into());
        }
        let flush = self.gateway.monitor_flush_interval;
        if flush < Duration::from_millis(200) || flush > Duration::from_secs(300) {
            p.push("AIDOC_GATEWAY__MONITOR_FLUSH_INTERVAL: between 200ms and 5m".into());
        }
        if self.auth.issuer.trim().is_empty() {
            p.push("AIDOC_AUTH__ISSUER: required".into());
        }
        if self.auth.cache_ttl > Duration::from_secs(300) {
            p.push("AIDOC_AUTH__CACHE_TTL: at most 5m (it bounds how late a revocation is seen)".into());
        }
        for (name, l) in [
            ("USER", self.rate_limit.user),
            ("KEY", self.rate_limit.key),
            ("IP", self.rate_limit.ip),
            ("LOGIN", self.rate_limit.login),
        ] {
            if l.per_minute > 0 && l.burst == 0 {
                p.push(format!("AIDOC_RATE_LIMIT__{name}__BURST: at least 1 when the limit is on"));
            }
        }
        for proxy in &self.gateway.trusted_proxies {
            if crate::client_ip::Cidr::parse(proxy).is_none() {
                p.push(format!("AIDOC_GATEWAY__TRUSTED_PROXIES: {proxy:?} is not an address or CIDR range"));
            }
        }
        for (key, v) in [
            ("AIDOC_SECURITY_HEADERS__CONTENT_SECURITY_POLICY", &self.security_headers.content_security_policy),
            ("AIDOC_SECURITY_HEADERS__WEB_CONTENT_SECURITY_POLICY", &self.security_headers.web_content_security_policy),
            ("AIDOC_SECURITY_HEADERS__FRAME_OPTIONS", &self.security_headers.frame_options),
            ("AIDOC_SECURITY_HEADERS__REFERRER_POLICY", &self.security_headers.referrer_policy),
        ] {
            if actix_web::http::header::HeaderValue::from_str(v).is_err() {
                p.push(format!("{key}: not a valid header value"));
            }
        }
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
        let public_url = &self.gateway.public_url;
        if !public_url.is_empty()
            && (!(public_url.starts_with("http://") || public_url.starts_with("https://")) || public_url.ends_with('/'))
        {
            p.push(format!("AIDOC_GATEWAY__PUBLIC_URL: expected scheme://host[:port][/path] without a trailing slash, got {public_url:?}"));
        }
        if !(MIN_MCP_TOKEN_BUDGET..=MAX_MCP_TOKEN_BUDGET).contains(&self.gateway.mcp_token_budget) {
            p.push(format!(
                "AIDOC_GATEWAY__MCP_TOKEN_BUDGET: between {MIN_MCP_TOKEN_BUDGET} and {MAX_MCP_TOKEN_BUDGET} tokens"
            ));
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

    fn problems(env: &str, secret: &str) -> Vec<String> {
        let mut base = BaseConfig::with_ports(8080, 9180);
        if env == "production" {
            base.env = aidoc_common::config::Environment::Production;
        }
        let mut c = GatewayConfig::default();
        c.auth.jwt_secret = Secret::new(secret);
        c.validate(&base)
    }

    #[test]
    fn production_refuses_default_empty_or_short_jwt_secrets_and_names_the_variable() {
        for weak in ["", "secret", "ChangeMe", "  "] {
            let p = problems("production", weak);
            assert_eq!(
                p,
                vec!["AIDOC_AUTH__JWT_SECRET: production refuses an empty or default JWT secret"],
                "{weak:?}"
            );
        }
        let short = problems("production", "0123456789abcdef");
        assert!(short[0].starts_with("AIDOC_AUTH__JWT_SECRET: at least 32 bytes"), "{short:?}");
        assert!(problems("production", &"f".repeat(64)).is_empty());
        // Development: empty means a per-process random secret; a set one must still be long enough.
        assert!(problems("development", "").is_empty());
        assert_eq!(problems("development", "short").len(), 1);
    }

    #[test]
    fn rate_limits_proxies_and_header_values_are_checked() {
        let base = BaseConfig::with_ports(8080, 9180);
        let mut c = GatewayConfig::default();
        c.rate_limit.ip = Limit { per_minute: 10, burst: 0 };
        c.gateway.trusted_proxies = vec!["10.0.0.0/33".into(), "nginx".into()];
        c.security_headers.frame_options = "DENY\nX: y".into();
        let p = c.validate(&base);
        assert!(p.iter().any(|m| m.starts_with("AIDOC_RATE_LIMIT__IP__BURST")), "{p:?}");
        assert_eq!(p.iter().filter(|m| m.starts_with("AIDOC_GATEWAY__TRUSTED_PROXIES")).count(), 2, "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("AIDOC_SECURITY_HEADERS__FRAME_OPTIONS")), "{p:?}");
    }

    #[test]
    fn mcp_budget_and_public_url_are_checked() {
        let base = BaseConfig::with_ports(8080, 9180);
        let mut c = GatewayConfig::default();
        assert_eq!(c.gateway.mcp_token_budget, 8000);
        assert!(c.validate(&base).is_empty());
        c.gateway.mcp_token_budget = 50_000;
        c.gateway.public_url = "docs.example.com/".into();
        let p = c.validate(&base);
        assert!(p.iter().any(|m| m.starts_with("AIDOC_GATEWAY__MCP_TOKEN_BUDGET")), "{p:?}");
        assert!(p.iter().any(|m| m.starts_with("AIDOC_GATEWAY__PUBLIC_URL")), "{p:?}");
        c.gateway.mcp_token_budget = 1000;
        c.gateway.public_url = "https://docs.example.com".into();
        assert!(c.validate(&base).is_empty());
    }
}
