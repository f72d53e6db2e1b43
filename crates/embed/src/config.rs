//! `EmbedConfig`: which embedder to run and how.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::error::{EmbedError, Result};

/// Where embeddings come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// The bundled multilingual-e5-small, run in-process (the default).
    #[default]
    Local,
    /// An OpenAI-compatible `/v1/embeddings` endpoint.
    Openai,
}

/// The `embedding` section of a service's configuration.
///
/// ```toml
/// [embedding]
/// provider = "local"            # or "openai"
/// model_dir = ".aidoc/models"   # filled by scripts/fetch-model.sh
/// threads = 0                   # cores for the model in all; 0 = every core
/// sessions = 1                  # forward passes at once, sharing the threads; 0 = one per thread
/// query_session = true          # a session of queries' own: searches never wait behind ingest
/// batch_size = 8
///
/// [embedding.openai]            # only read when provider = "openai"
/// base_url = "http://127.0.0.1:8000/v1"
/// model = "text-embedding-3-small"
/// dimensions = 384
/// api_key_file = "/run/secrets/embedding_api_key"
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmbedConfig {
    /// Which embedder.
    pub provider: Provider,
    /// The local model folder (holds `model.json`).
    pub model_dir: PathBuf,
    /// Cores the local model uses in all; 0 means every available core.
    pub threads: usize,
    /// Local forward passes that run at once, sharing `threads` (each gets `threads / sessions`, and each
    /// session costs ≈ 85 MiB); 0 means one single-threaded pass per thread. 1 (the default) gives every
    /// thread to one pass: on 2-core AVX2 machines the ingest throughput of both layouts was the same
    /// within the run-to-run noise, so the memory decides.
    pub sessions: usize,
    /// Give queries a single-threaded session of their own (≈ 70 MiB), so a search does not wait behind
    /// a document's forward pass while the indexer ingests. Off on an indexer that only searches or only
    /// ingests saves the memory.
    pub query_session: bool,
    /// Texts per forward pass (local) or per request (openai).
    pub batch_size: usize,
    /// Check every model file's sha256 against the manifest when loading (≈0.2 s).
    pub verify_checksums: bool,
    /// The OpenAI-compatible endpoint.
    pub openai: OpenAiConfig,
}

impl Default for EmbedConfig {
    fn default() -> Self {
        Self {
            provider: Provider::Local,
            model_dir: PathBuf::from(".aidoc/models"),
            threads: 0,
            sessions: 1,
            query_session: true,
            batch_size: 8,
            verify_checksums: true,
            openai: OpenAiConfig::default(),
        }
    }
}

/// An OpenAI-compatible embeddings endpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OpenAiConfig {
    /// Base URL up to and including `/v1`, e.g. `https://api.example.com/v1`.
    pub base_url: String,
    /// The model name sent in each request.
    pub model: String,
    /// The vector length the model returns (checked on every response).
    pub dimensions: usize,
    /// Also send `dimensions` in the request (for models that can shorten their vectors).
    pub send_dimensions: bool,
    /// Bearer token; prefer `api_key_file`.
    #[serde(skip_serializing)]
    pub api_key: Option<SecretString>,
    /// A file holding the bearer token (e.g. a Kubernetes secret mount).
    pub api_key_file: Option<PathBuf>,
    /// Prefix added to queries (e.g. `query: ` for an e5 server); empty by default.
    pub query_prefix: String,
    /// Prefix added to passages; empty by default.
    pub passage_prefix: String,
    /// Whole-request timeout, seconds.
    pub timeout_secs: u64,
    /// Connect timeout, seconds.
    pub connect_timeout_secs: u64,
    /// Requests in flight at once for one document's batches (the endpoint's latency, not this machine,
    /// bounds a lone request stream).
    pub concurrency: usize,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            model: String::new(),
            dimensions: 0,
            send_dimensions: false,
            api_key: None,
            api_key_file: None,
            query_prefix: String::new(),
            passage_prefix: String::new(),
            timeout_secs: 30,
            concurrency: 4,
            connect_timeout_secs: 5,
        }
    }
}

impl EmbedConfig {
    /// Every problem with this configuration, or `Ok`.
    pub fn validate(&self) -> Result<()> {
        let mut problems = Vec::new();
        if self.batch_size == 0 || self.batch_size > 256 {
            problems.push(format!("batch_size must be 1..=256, not {}", self.batch_size));
        }
        if self.threads > 256 {
            problems.push(format!("threads must be 0..=256, not {}", self.threads));
        }
        if self.sessions > 256 {
            problems.push(format!("sessions must be 0..=256, not {}", self.sessions));
        } else if self.threads > 0 && self.sessions > self.threads {
            problems.push(format!(
                "sessions ({}) must not exceed threads ({}): each session needs a thread",
                self.sessions, self.threads
            ));
        }
        match self.provider {
            Provider::Local => {
                if self.model_dir.as_os_str().is_empty() {
                    problems.push("model_dir is empty".into());
                }
            }
            Provider::Openai => {
                let o = &self.openai;
                if !(o.base_url.starts_with("http://") || o.base_url.starts_with("https://")) {
                    problems.push(format!("openai.base_url must be an http(s) URL, not {:?}", o.base_url));
                }
                if o.model.trim().is_empty() {
                    problems.push("openai.model is empty".into());
                }
                if o.dimensions == 0 || o.dimensions > 16_384 {
                    problems.push(format!("openai.dimensions must be 1..=16384, not {}", o.dimensions));
                }
                if o.api_key.is_some() && o.api_key_file.is_some() {
                    problems.push("set openai.api_key or openai.api_key_file, not both".into());
                }
                if o.timeout_secs == 0 || o.connect_timeout_secs == 0 {
                    problems.push("openai timeouts must be at least 1 second".into());
                }
                if o.concurrency == 0 || o.concurrency > 64 {
                    problems.push(format!("openai.concurrency must be 1..=64, not {}", o.concurrency));
                }
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(EmbedError::Config(problems)) }
    }

    /// The cores the local model uses: `threads`, or every available core when 0.
    pub fn effective_threads(&self) -> usize {
        if self.threads > 0 { self.threads } else { std::thread::available_parallelism().map(usize::from).unwrap_or(1) }
    }

    /// The local forward passes that run at once: `sessions`, or one per thread when 0 (never more than
    /// the threads).
    pub fn effective_sessions(&self) -> usize {
        let threads = self.effective_threads();
        if self.sessions == 0 { threads } else { self.sessions.min(threads) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_local_and_valid() {
        let c: EmbedConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(c.provider, Provider::Local);
        assert_eq!(c.model_dir, PathBuf::from(".aidoc/models"));
        c.validate().unwrap();
    }

    #[test]
    fn sessions_share_the_threads() {
        let c: EmbedConfig = serde_json::from_str(r#"{"threads": 4}"#).unwrap();
        assert_eq!((c.effective_threads(), c.effective_sessions()), (4, 1));
        let c: EmbedConfig = serde_json::from_str(r#"{"threads": 4, "sessions": 0}"#).unwrap();
        assert_eq!((c.effective_threads(), c.effective_sessions()), (4, 4));
        c.validate().unwrap();
        let c: EmbedConfig = serde_json::from_str(r#"{"threads": 2, "sessions": 3}"#).unwrap();
        match c.validate() {
            Err(EmbedError::Config(problems)) => {
                assert_eq!(problems.len(), 1, "{problems:?}");
                assert!(problems[0].contains("sessions (3) must not exceed threads (2)"), "{problems:?}");
            }
            other => panic!("expected Config, got {other:?}"),
        }
        // with every core (threads = 0) the sessions are capped at the cores instead
        let c: EmbedConfig = serde_json::from_str(r#"{"sessions": 256}"#).unwrap();
        c.validate().unwrap();
        assert_eq!(c.effective_sessions(), c.effective_threads());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(serde_json::from_str::<EmbedConfig>(r#"{"modle_dir": "x"}"#).is_err());
        assert!(serde_json::from_str::<EmbedConfig>(r#"{"openai": {"key": "x"}}"#).is_err());
    }

    #[test]
    fn openai_validation_lists_every_problem() {
        let c: EmbedConfig =
            serde_json::from_str(r#"{"provider": "openai", "batch_size": 0, "openai": {"concurrency": 0}}"#).unwrap();
        match c.validate() {
            Err(EmbedError::Config(problems)) => assert_eq!(problems.len(), 5, "{problems:?}"),
            other => panic!("expected Config, got {other:?}"),
        }
        let ok: EmbedConfig = serde_json::from_str(
            r#"{"provider": "openai", "openai": {"base_url": "http://127.0.0.1:1/v1", "model": "m", "dimensions": 8}}"#,
        )
        .unwrap();
        ok.validate().unwrap();
    }
}
