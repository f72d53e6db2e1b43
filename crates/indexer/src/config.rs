//! aidoc-indexer configuration.

use aidoc_common::config::{BaseConfig, Environment, ServiceConfig};
use aidoc_common::db::DatabaseConfig;
use aidoc_embed::EmbedConfig;
use aidoc_storage::StorageConfig;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndexerConfig {
    pub database: DatabaseConfig,
    /// The api service (job queue), e.g. `http://api:50052`.
    pub api_url: String,
    /// The parser service, e.g. `http://parser:50051`.
    pub parser_url: String,
    pub storage: StorageConfig,
    pub embedding: EmbedConfig,
    pub worker: WorkerConfig,
    pub chunking: ChunkingConfig,
    pub search: SearchConfig,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        IndexerConfig {
            database: DatabaseConfig::default(),
            api_url: "http://127.0.0.1:50052".into(),
            parser_url: "http://127.0.0.1:50051".into(),
            storage: StorageConfig::default(),
            embedding: EmbedConfig::default(),
            worker: WorkerConfig::default(),
            chunking: ChunkingConfig::default(),
            search: SearchConfig::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
    /// Concurrent ingest jobs in this process (0 = serve search only).
    pub concurrency: usize,
    /// How long a claimed job stays ours without a heartbeat.
    #[serde(with = "humantime_serde")]
    pub lease: Duration,
    /// Wait between claims when the queue is empty.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Longest time one parse may take.
    #[serde(with = "humantime_serde")]
    pub parse_timeout: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 1,
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(1),
            parse_timeout: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChunkingConfig {
    pub max_tokens: usize,
    pub overlap_tokens: usize,
    pub min_tokens: usize,
}

impl Default for ChunkingConfig {
    fn default() -> Self {
        ChunkingConfig { max_tokens: 200, overlap_tokens: 30, min_tokens: 40 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// Candidates taken from each list before fusion.
    pub candidates: usize,
    /// The k of reciprocal rank fusion.
    pub rrf_k: f64,
    /// HNSW search breadth.
    pub ef_search: u32,
    /// Longest accepted query, in characters.
    pub max_query_chars: usize,
    /// Snippet length in characters.
    pub snippet_chars: usize,
    /// How many chunks the candidate terms of a keyword query may match
    /// together; rarer terms are taken first (see the `keyword` module).
    pub keyword_candidate_budget: usize,
    /// How many keyword candidates are re-ranked by cover density.
    pub keyword_rerank: usize,
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            candidates: 100,
            rrf_k: 60.0,
            ef_search: 80,
            max_query_chars: 1000,
            snippet_chars: 240,
            keyword_candidate_budget: 2000,
            keyword_rerank: 250,
        }
    }
}

impl ServiceConfig for IndexerConfig {
    const SERVICE: &'static str = "indexer";
    const DEFAULT_LISTEN_PORT: u16 = 50053;
    const DEFAULT_ADMIN_PORT: u16 = 9183;

    fn validate(&self, base: &BaseConfig) -> Vec<String> {
        let production = base.env == Environment::Production;
        let mut p = self.database.problems(production);
        for (key, url) in [("AIDOC_API_URL", &self.api_url), ("AIDOC_PARSER_URL", &self.parser_url)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                p.push(format!("{key}: expected an http:// or https:// URL, got {url:?}"));
            }
        }
        p.extend(self.storage.validate(production));
        if let Err(e) = self.embedding.validate() {
            p.push(format!("AIDOC_EMBEDDING: {e}"));
        }
        let c = &self.chunking;
        if c.max_tokens < 32 || c.max_tokens > 500 {
            p.push("AIDOC_CHUNKING__MAX_TOKENS: must be 32..=500 (the model reads 512 tokens)".into());
        }
        if c.overlap_tokens >= c.max_tokens / 2 {
            p.push("AIDOC_CHUNKING__OVERLAP_TOKENS: must be less than half of max_tokens".into());
        }
        if self.worker.lease < Duration::from_secs(5) {
            p.push("AIDOC_WORKER__LEASE: at least 5s".into());
        }
        let s = &self.search;
        if s.candidates == 0 || s.candidates > 1000 {
            p.push("AIDOC_SEARCH__CANDIDATES: must be 1..=1000".into());
        }
        if s.keyword_candidate_budget < 100 {
            p.push("AIDOC_SEARCH__KEYWORD_CANDIDATE_BUDGET: at least 100".into());
        }
        if s.keyword_rerank == 0 || s.keyword_rerank > 5000 {
            p.push("AIDOC_SEARCH__KEYWORD_RERANK: must be 1..=5000".into());
        }
        if s.rrf_k <= 0.0 {
            p.push("AIDOC_SEARCH__RRF_K: must be positive".into());
        }
        p
    }
}
