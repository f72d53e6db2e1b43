//! Layered, typed configuration: compiled-in defaults, then an optional TOML
//! file (`AIDOC_CONFIG_FILE`), then the environment.
//!
//! Environment keys are `AIDOC_` followed by the field path in upper case with
//! `__` between levels: `AIDOC_DATABASE__URL`, `AIDOC_LOG__FORMAT`. Every key
//! also accepts a `_FILE` variant whose value is a path to read the value from
//! (Kubernetes secret mounts). `DATABASE_URL` and `DATABASE_READ_URL` are
//! accepted as aliases. Keys that name no field of this service are ignored,
//! because one environment is usually shared by all services.
//!
//! Loading never stops at the first problem: every problem found in the
//! environment, the file and [`ServiceConfig::validate`] is reported together.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// The process exit code for bad configuration (`EX_CONFIG` is 78, but the
/// usage-error code 64 is what operators and our tests expect).
pub const EXIT_BAD_CONFIG: i32 = 64;

/// The environment a service reads; injected so tests never touch the process env.
pub type EnvMap = BTreeMap<String, String>;

/// Snapshot of the process environment.
pub fn process_env() -> EnvMap {
    std::env::vars().collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// An `EnvFilter` directive, e.g. `info` or `info,aidoc_api=debug`.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: LogFormat::Text, level: "info".into() }
    }
}

/// Settings every service has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseConfig {
    pub env: Environment,
    pub log: LogConfig,
    /// The main port (HTTP for the gateway, gRPC for the others).
    pub listen_addr: SocketAddr,
    /// The admin port: `/health/live`, `/health/ready`, `/metrics`.
    pub admin_addr: SocketAddr,
    /// How long in-flight work may take to drain after SIGTERM.
    #[serde(with = "humantime_serde")]
    pub shutdown_grace: Duration,
}

impl BaseConfig {
    pub fn with_ports(listen: u16, admin: u16) -> Self {
        BaseConfig {
            env: Environment::Development,
            log: LogConfig::default(),
            listen_addr: SocketAddr::from(([0, 0, 0, 0], listen)),
            admin_addr: SocketAddr::from(([0, 0, 0, 0], admin)),
            shutdown_grace: Duration::from_secs(20),
        }
    }

    const KEYS: [&'static str; 5] = ["env", "log", "listen_addr", "admin_addr", "shutdown_grace"];
}

/// A service's own configuration.
pub trait ServiceConfig: Serialize + DeserializeOwned + Default {
    /// The service name, used in logs, metrics and traces (`gateway`, `api`, …).
    const SERVICE: &'static str;
    const DEFAULT_LISTEN_PORT: u16;
    const DEFAULT_ADMIN_PORT: u16;

    /// Every problem with the values; empty when the configuration is usable.
    fn validate(&self, base: &BaseConfig) -> Vec<String>;
}

/// A loaded configuration: the shared part and the service's own.
#[derive(Debug, Clone)]
pub struct Settings<T> {
    pub base: BaseConfig,
    pub service: T,
}

/// Every problem found while loading; printed one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration ({} problem(s)):", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Loads `T` from defaults, the optional file named by `AIDOC_CONFIG_FILE`,
/// and `env`.
pub fn load<T: ServiceConfig>(env: &EnvMap) -> Result<Settings<T>, ConfigErrors> {
    let mut problems = Vec::new();

    let base_defaults = BaseConfig::with_ports(T::DEFAULT_LISTEN_PORT, T::DEFAULT_ADMIN_PORT);
    let (base_defaults, service_defaults) =
        match (serde_json::to_value(&base_defaults), serde_json::to_value(T::default())) {
            (Ok(Value::Object(base)), Ok(Value::Object(service))) => (base, service),
            _ => return Err(ConfigErrors(vec!["internal: defaults are not a map".into()])),
        };
    let mut tree = base_defaults.clone();
    tree.extend(service_defaults.clone());

    if let Some(path) = env.get("AIDOC_CONFIG_FILE").filter(|p| !p.is_empty()) {
        match read_toml(Path::new(path)) {
            Ok(file) => merge(&mut tree, file),
            Err(e) => problems.push(e),
        }
    }

    apply_env(&mut tree, env, &mut problems);

    let mut base_map = Map::new();
    for key in BaseConfig::KEYS {
        if let Some(v) = tree.remove(key) {
            base_map.insert(key.to_owned(), v);
        }
    }
    let base: Option<BaseConfig> = deserialize_all(&base_defaults, base_map, &mut problems);
    let service: Option<T> = deserialize_all(&service_defaults, tree, &mut problems);

    match (base, service) {
        (Some(base), Some(service)) => {
            problems.extend(service.validate(&base));
            if problems.is_empty() { Ok(Settings { base, service }) } else { Err(ConfigErrors(problems)) }
        }
        _ => Err(ConfigErrors(problems)),
    }
}

/// Deserialises `merged`; when that fails, tries each changed leaf alone on
/// top of the defaults, so that every bad value is reported, not just the first.
fn deserialize_all<T: DeserializeOwned>(
    defaults: &Map<String, Value>,
    merged: Map<String, Value>,
    problems: &mut Vec<String>,
) -> Option<T> {
    let first = match deserialize::<T>(Value::Object(merged.clone())) {
        Ok(t) => return Some(t),
        Err(e) => e,
    };
    let mut found = Vec::new();
    let mut leaves = Vec::new();
    collect_leaves(&merged, &mut Vec::new(), &mut leaves);
    for (path, value) in leaves {
        if lookup(defaults, &path) == Some(&value) {
            continue;
        }
        let mut single = defaults.clone();
        set_path(&mut single, &path, value);
        if let Err(e) = deserialize::<T>(Value::Object(single))
            && !found.contains(&e)
        {
            found.push(e);
        }
    }
    if found.is_empty() {
        found.push(first);
    }
    problems.extend(found);
    None
}

fn collect_leaves(map: &Map<String, Value>, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    for (k, v) in map {
        prefix.push(k.clone());
        match v {
            Value::Object(m) if !m.is_empty() => collect_leaves(m, prefix, out),
            _ => out.push((prefix.clone(), v.clone())),
        }
        prefix.pop();
    }
}

fn lookup<'a>(map: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = map;
    for p in parents {
        cur = cur.get(p)?.as_object()?;
    }
    cur.get(last)
}

fn set_path(map: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut cur = map;
    for p in parents {
        let entry = cur.entry(p.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Value::Object(next) = entry else { return };
        cur = next;
    }
    cur.insert(last.clone(), value);
}

fn deserialize<T: DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let path = e.path().to_string();
        format!("{}: {}", env_name_of(&path), e.into_inner())
    })
}

/// `database.url` → `AIDOC_DATABASE__URL`
fn env_name_of(path: &str) -> String {
    if path == "." || path.is_empty() {
        return "configuration".into();
    }
    format!("AIDOC_{}", path.replace('.', "__").to_uppercase())
}

fn read_toml(path: &Path) -> Result<Map<String, Value>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("AIDOC_CONFIG_FILE: cannot read {}: {e}", path.display()))?;
    let value: toml::Value = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    match serde_json::to_value(value) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(format!("{}: not a TOML table", path.display())),
    }
}

fn merge(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(&k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => merge(a, b),
            (_, v) => {
                into.insert(k, v);
            }
        }
    }
}

fn apply_env(tree: &mut Map<String, Value>, env: &EnvMap, problems: &mut Vec<String>) {
    // Resolve aliases and `_FILE` indirections into plain `AIDOC_` keys.
    let mut resolved: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (key, value) in env {
        let key = match key.as_str() {
            "DATABASE_URL" => "AIDOC_DATABASE__URL".to_owned(),
            "DATABASE_READ_URL" => "AIDOC_DATABASE__READ_URL".to_owned(),
            "DATABASE_URL_FILE" => "AIDOC_DATABASE__URL_FILE".to_owned(),
            k if k.starts_with("AIDOC_") && k != "AIDOC_CONFIG_FILE" => k.to_owned(),
            _ => continue,
        };
        if let Some(target) = key.strip_suffix("_FILE") {
            if !path_exists(tree, target) {
                // A field that itself ends in _FILE, or a key for another service.
                if path_exists(tree, &key) {
                    resolved.insert(key.clone(), (key.clone(), value.clone()));
                }
                continue;
            }
            match std::fs::read_to_string(value) {
                Ok(content) => {
                    resolved
                        .insert(target.to_owned(), (key.clone(), content.trim_end_matches(['\n', '\r']).to_owned()));
                }
                Err(e) => problems.push(format!("{key}: cannot read {value}: {e}")),
            }
        } else {
            // A direct value wins over nothing, but a `_FILE` never silently loses
            // to it: both set is a problem.
            if env.contains_key(&format!("{key}_FILE")) && path_exists(tree, &key) {
                problems.push(format!("{key} and {key}_FILE are both set; use one"));
                continue;
            }
            resolved.entry(key.clone()).or_insert((key.clone(), value.clone()));
        }
    }

    for (key, (source, raw)) in resolved {
        let Some(path) = key_path(&key) else { continue };
        let Some(slot) = lookup_mut(tree, &path) else { continue };
        match coerce(slot, &raw) {
            Ok(v) => *slot = v,
            Err(expected) => problems.push(format!("{source}: expected {expected}, got {:?}", shown(&source, &raw))),
        }
    }
}

fn shown<'a>(key: &str, raw: &'a str) -> &'a str {
    let k = key.to_ascii_uppercase();
    if ["SECRET", "PASSWORD", "KEY", "TOKEN", "URL"].iter().any(|s| k.contains(s)) { "[redacted]" } else { raw }
}

fn key_path(key: &str) -> Option<Vec<String>> {
    let rest = key.strip_prefix("AIDOC_")?;
    Some(rest.split("__").map(|s| s.to_ascii_lowercase()).collect())
}

fn path_exists(tree: &Map<String, Value>, key: &str) -> bool {
    let Some(path) = key_path(key) else { return false };
    let mut cur = tree;
    for (i, part) in path.iter().enumerate() {
        match cur.get(part) {
            Some(Value::Object(m)) if i + 1 < path.len() => cur = m,
            Some(_) if i + 1 == path.len() => return true,
            _ => return false,
        }
    }
    false
}

fn lookup_mut<'a>(tree: &'a mut Map<String, Value>, path: &[String]) -> Option<&'a mut Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = tree;
    for p in parents {
        cur = match cur.get_mut(p)? {
            Value::Object(m) => m,
            _ => return None,
        };
    }
    match cur.get_mut(last)? {
        Value::Object(_) => None,
        v => Some(v),
    }
}

/// Converts an environment string to the JSON type of the default it replaces.
fn coerce(default: &Value, raw: &str) -> Result<Value, &'static str> {
    let raw_t = raw.trim();
    match default {
        Value::Bool(_) => match raw_t.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Value::Bool(true)),
            "false" | "0" | "no" | "off" => Ok(Value::Bool(false)),
            _ => Err("a boolean (true/false)"),
        },
        Value::Number(n) => {
            if n.is_u64() || n.is_i64() {
                raw_t
                    .parse::<i64>()
                    .map(Value::from)
                    .or_else(|_| raw_t.parse::<u64>().map(Value::from))
                    .map_err(|_| "an integer")
            } else {
                raw_t.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number).ok_or("a number")
            }
        }
        Value::Array(_) => {
            if raw_t.starts_with('[') {
                serde_json::from_str(raw_t).map_err(|_| "a JSON array or a comma-separated list")
            } else {
                Ok(Value::Array(
                    raw_t
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::String(s.into()))
                        .collect(),
                ))
            }
        }
        // Strings and optional values (null defaults) take the text as is.
        _ => Ok(Value::String(raw.to_owned())),
    }
}

/// Prints the problems and exits with [`EXIT_BAD_CONFIG`].
pub fn exit_bad_config(service: &str, errors: &ConfigErrors) -> ! {
    eprintln!("aidoc-{service}: {errors}");
    std::process::exit(EXIT_BAD_CONFIG)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Demo {
        database: Db,
        workers: u32,
        tags: Vec<String>,
        enabled: bool,
        read_url: Option<String>,
    }

    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields, default)]
    struct Db {
        url: Secret,
        max_connections: u32,
    }

    impl Default for Db {
        fn default() -> Self {
            Db { url: Secret::default(), max_connections: 10 }
        }
    }

    impl Default for Demo {
        fn default() -> Self {
            Demo { database: Db::default(), workers: 2, tags: vec![], enabled: true, read_url: None }
        }
    }

    impl ServiceConfig for Demo {
        const SERVICE: &'static str = "demo";
        const DEFAULT_LISTEN_PORT: u16 = 7000;
        const DEFAULT_ADMIN_PORT: u16 = 7001;
        fn validate(&self, base: &BaseConfig) -> Vec<String> {
            let mut p = vec![];
            if self.database.url.is_empty() {
                p.push("AIDOC_DATABASE__URL: required".to_owned());
            }
            if self.workers == 0 {
                p.push("AIDOC_WORKERS: must be at least 1".to_owned());
            }
            if base.env == Environment::Production && self.database.url.expose().contains("password") {
                p.push("AIDOC_DATABASE__URL: default password in production".to_owned());
            }
            p
        }
    }

    fn env(pairs: &[(&str, &str)]) -> EnvMap {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_then_env_with_types_and_aliases() {
        let s = load::<Demo>(&env(&[
            ("DATABASE_URL", "postgres://x"),
            ("AIDOC_WORKERS", "8"),
            ("AIDOC_TAGS", "a, b"),
            ("AIDOC_ENABLED", "no"),
            ("AIDOC_LOG__FORMAT", "json"),
            ("AIDOC_SHUTDOWN_GRACE", "5s"),
            ("AIDOC_OTHER_SERVICE_KEY", "ignored"),
        ]))
        .expect("loads");
        assert_eq!(s.service.database.url.expose(), "postgres://x");
        assert_eq!(s.service.workers, 8);
        assert_eq!(s.service.tags, vec!["a", "b"]);
        assert!(!s.service.enabled);
        assert_eq!(s.base.log.format, LogFormat::Json);
        assert_eq!(s.base.shutdown_grace, Duration::from_secs(5));
        assert_eq!(s.base.listen_addr.port(), 7000);
    }

    #[test]
    fn every_problem_is_listed_and_secrets_are_not_echoed() {
        let err = load::<Demo>(&env(&[
            ("AIDOC_WORKERS", "many"),
            ("AIDOC_ENABLED", "perhaps"),
            ("AIDOC_DATABASE__MAX_CONNECTIONS", "lots"),
        ]))
        .expect_err("fails");
        assert_eq!(err.0.len(), 4, "three bad values and the missing url: {err}");
        assert!(err.0.iter().any(|p| p.starts_with("AIDOC_WORKERS: expected an integer")));
        assert!(err.0.iter().any(|p| p.starts_with("AIDOC_ENABLED: expected a boolean")));

        let err = load::<Demo>(&env(&[
            ("AIDOC_LISTEN_ADDR", "nowhere"),
            ("AIDOC_LOG__FORMAT", "xml"),
            ("AIDOC_SHUTDOWN_GRACE", "soon"),
        ]))
        .expect_err("fails");
        let text = err.to_string();
        for key in ["AIDOC_LISTEN_ADDR", "AIDOC_LOG__FORMAT", "AIDOC_SHUTDOWN_GRACE"] {
            assert!(text.contains(key), "{key} missing from {text}");
        }

        let err = load::<Demo>(&env(&[("AIDOC_WORKERS", "0")])).expect_err("fails");
        assert_eq!(err.0, vec!["AIDOC_DATABASE__URL: required", "AIDOC_WORKERS: must be at least 1"]);
    }

    #[test]
    fn file_layer_and_file_secrets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secret = dir.path().join("db-url");
        std::fs::write(&secret, "postgres://from-file\n").expect("write");
        let cfg = dir.path().join("aidoc.toml");
        std::fs::write(&cfg, "workers = 3\n[database]\nmax_connections = 4\n").expect("write");
        let s = load::<Demo>(&env(&[
            ("AIDOC_CONFIG_FILE", cfg.to_str().expect("utf8")),
            ("AIDOC_DATABASE__URL_FILE", secret.to_str().expect("utf8")),
            ("AIDOC_DATABASE__MAX_CONNECTIONS", "6"),
        ]))
        .expect("loads");
        assert_eq!(s.service.workers, 3);
        assert_eq!(s.service.database.max_connections, 6, "env wins over the file");
        assert_eq!(s.service.database.url.expose(), "postgres://from-file");

        std::fs::write(&cfg, "wrokers = 3\n").expect("write");
        let err = load::<Demo>(&env(&[("AIDOC_CONFIG_FILE", cfg.to_str().expect("utf8")), ("DATABASE_URL", "x")]))
            .expect_err("unknown field");
        assert!(err.to_string().contains("wrokers"), "{err}");
    }

    #[test]
    fn production_rules_see_the_base() {
        let err = load::<Demo>(&env(&[("AIDOC_ENV", "production"), ("DATABASE_URL", "postgres://u:password@h/db")]))
            .expect_err("refused");
        assert_eq!(err.0, vec!["AIDOC_DATABASE__URL: default password in production"]);
    }
}
