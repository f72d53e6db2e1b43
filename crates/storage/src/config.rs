//! The `storage` section of a service configuration.

use crate::{FsStore, ObjectStore, S3Store, StorageError};
use aidoc_common::secret::Secret;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// Which backend holds the objects.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Fs,
    S3,
}

/// `storage.*` (environment: `AIDOC_STORAGE__…`). Only the selected backend's section is used.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    pub backend: Backend,
    pub fs: FsConfig,
    pub s3: S3Config,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct FsConfig {
    /// The folder holding the objects.
    pub root: PathBuf,
}

impl Default for FsConfig {
    fn default() -> Self {
        FsConfig { root: PathBuf::from(".aidoc/objects") }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// `http(s)://host:port` of an S3-compatible service; empty means AWS in `region`.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key: Secret,
    pub secret_key: Secret,
    /// `endpoint/bucket/key` URLs instead of `bucket.endpoint/key` (MinIO and s3s need it).
    pub path_style: bool,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            endpoint: String::new(),
            region: "us-east-1".into(),
            bucket: "aidoc".into(),
            access_key: Secret::default(),
            secret_key: Secret::default(),
            path_style: true,
        }
    }
}

/// Secret keys that must never reach production (lowercase).
const WEAK_SECRETS: [&str; 8] = ["", "minioadmin", "changeme", "password", "secret", "admin", "aidoc", "example"];

impl StorageConfig {
    /// Every problem with these settings, one message each naming the variable; empty when usable.
    /// `production` refuses an empty or well-known S3 secret key and missing credentials.
    pub fn validate(&self, production: bool) -> Vec<String> {
        let mut p = Vec::new();
        match self.backend {
            Backend::Fs => {
                if self.fs.root.as_os_str().is_empty() {
                    p.push("AIDOC_STORAGE__FS__ROOT: required (the folder holding the objects)".into());
                }
            }
            Backend::S3 => self.s3.problems(production, &mut p),
        }
        p
    }

    /// Opens the selected backend. The fs root is created; nothing is checked over the network (use
    /// [`ObjectStore::check`] for readiness).
    pub async fn open(&self) -> Result<Arc<dyn ObjectStore>, StorageError> {
        match self.backend {
            Backend::Fs => {
                let root = &self.fs.root;
                tokio::fs::create_dir_all(root)
                    .await
                    .map_err(|e| StorageError::io(format!("creating {}", root.display()), e))?;
                Ok(Arc::new(FsStore::new(root.clone())))
            }
            Backend::S3 => Ok(Arc::new(S3Store::new(&self.s3)?)),
        }
    }
}

impl S3Config {
    fn problems(&self, production: bool, p: &mut Vec<String>) {
        let endpoint = self.endpoint.trim();
        if !endpoint.is_empty() {
            let rest = endpoint.strip_prefix("https://").or_else(|| endpoint.strip_prefix("http://"));
            match rest {
                Some(host) if !host.trim_end_matches('/').is_empty() && !host.contains(char::is_whitespace) => {}
                _ => p.push("AIDOC_STORAGE__S3__ENDPOINT: must be an http:// or https:// URL (empty for AWS)".into()),
            }
        }
        if self.region.trim().is_empty() {
            p.push("AIDOC_STORAGE__S3__REGION: required (us-east-1 when the service ignores regions)".into());
        }
        if let Some(reason) = bucket_name_problem(&self.bucket) {
            p.push(format!("AIDOC_STORAGE__S3__BUCKET: {reason}"));
        }
        if self.access_key.is_empty() != self.secret_key.is_empty() {
            p.push("AIDOC_STORAGE__S3__ACCESS_KEY and AIDOC_STORAGE__S3__SECRET_KEY: set both or neither".into());
        }
        if production {
            if self.access_key.is_empty() {
                p.push("AIDOC_STORAGE__S3__ACCESS_KEY: required in production".into());
            }
            if WEAK_SECRETS.contains(&self.secret_key.expose().trim().to_ascii_lowercase().as_str()) {
                p.push("AIDOC_STORAGE__S3__SECRET_KEY: production refuses an empty or default secret key".into());
            }
        }
    }
}

/// S3's bucket naming rules: 3–63 characters of `a-z 0-9 . -`, starting and ending with a letter or digit.
fn bucket_name_problem(name: &str) -> Option<&'static str> {
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if name.is_empty() {
        Some("required")
    } else if !(3..=63).contains(&name.len()) {
        Some("must be 3 to 63 characters long")
    } else if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-') {
        Some("only lowercase letters, digits, `.` and `-` are allowed")
    } else if !edge_ok(name.chars().next()) || !edge_ok(name.chars().last()) {
        Some("must start and end with a letter or a digit")
    } else if name.contains("..") {
        Some("must not contain `..`")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(secret: &str) -> StorageConfig {
        StorageConfig {
            backend: Backend::S3,
            s3: S3Config {
                endpoint: "http://127.0.0.1:9000".into(),
                access_key: Secret::new("aidoc-access"),
                secret_key: Secret::new(secret),
                ..S3Config::default()
            },
            ..StorageConfig::default()
        }
    }

    #[test]
    fn defaults_are_fs_and_valid() {
        let c = StorageConfig::default();
        assert_eq!(c.backend, Backend::Fs);
        assert_eq!(c.fs.root, PathBuf::from(".aidoc/objects"));
        assert_eq!((c.s3.region.as_str(), c.s3.bucket.as_str(), c.s3.path_style), ("us-east-1", "aidoc", true));
        assert!(c.validate(false).is_empty());
        assert!(c.validate(true).is_empty());
    }

    #[test]
    fn deserialises_lowercase_backend_and_rejects_unknown_fields() {
        let c: StorageConfig = serde_json::from_value(serde_json::json!({
            "backend": "s3",
            "s3": { "endpoint": "http://minio:9000", "bucket": "docs", "access_key": "a", "secret_key": "b" }
        }))
        .unwrap();
        assert_eq!(c.backend, Backend::S3);
        assert_eq!(c.s3.bucket, "docs");
        assert_eq!(c.s3.region, "us-east-1");
        assert!(c.s3.path_style);
        assert_eq!(format!("{:?}", c.s3.secret_key), "[redacted]");
        assert!(serde_json::from_value::<StorageConfig>(serde_json::json!({ "backend": "S3" })).is_err());
        assert!(serde_json::from_value::<StorageConfig>(serde_json::json!({ "s3": { "bukket": "x" } })).is_err());
        assert!(serde_json::from_value::<StorageConfig>(serde_json::json!({ "extra": 1 })).is_err());
    }

    #[test]
    fn production_refuses_default_and_empty_secret_keys() {
        for weak in ["", "minioadmin", "changeme", "MinioAdmin"] {
            let problems = s3(weak).validate(true);
            assert!(
                problems.iter().any(|p| p.starts_with("AIDOC_STORAGE__S3__SECRET_KEY")),
                "{weak:?} accepted: {problems:?}"
            );
        }
        assert!(s3("a-long-random-secret").validate(true).is_empty());
        // Development tolerates well-known keys (the local MinIO/s3s stack uses them).
        assert!(s3("minioadmin").validate(false).is_empty());
    }

    #[test]
    fn every_problem_is_reported() {
        let mut c = s3("");
        c.s3.endpoint = "minio:9000".into();
        c.s3.region = " ".into();
        c.s3.bucket = "Bad_Bucket".into();
        let problems = c.validate(true);
        for var in ["ENDPOINT", "REGION", "BUCKET", "ACCESS_KEY and", "SECRET_KEY:"] {
            assert!(problems.iter().any(|p| p.contains(var)), "{var} missing from {problems:?}");
        }
        let mut anonymous = s3("");
        anonymous.s3.access_key = Secret::default();
        assert!(anonymous.validate(false).is_empty(), "anonymous access is fine outside production");
        assert_eq!(anonymous.validate(true).len(), 2);
        let fs = StorageConfig { fs: FsConfig { root: PathBuf::new() }, ..StorageConfig::default() };
        assert_eq!(fs.validate(false).len(), 1);
    }

    #[test]
    fn bucket_names() {
        for ok in ["aidoc", "my.docs-1", "abc"] {
            assert_eq!(bucket_name_problem(ok), None, "{ok}");
        }
        for bad in ["", "ab", "-abc", "abc-", "ABC", "a_b_c", "a..b", &"a".repeat(64)] {
            assert!(bucket_name_problem(bad).is_some(), "{bad}");
        }
    }
}
