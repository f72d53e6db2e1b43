#![doc = include_str!("../README.md")]

mod config;
mod error;
pub mod local;
pub mod manifest;
pub mod openai;
pub mod pooling;
pub mod unigram;

pub use config::{EmbedConfig, OpenAiConfig, Provider};
pub use error::{EmbedError, Result};
pub use local::{LocalEmbedder, LocalOptions};
pub use manifest::Manifest;
pub use openai::OpenAiEmbedder;

/// Turns text into L2-normalised vectors for cosine search.
///
/// Implementations are synchronous and CPU- or network-bound: async callers run them on `spawn_blocking`.
/// The e5 `query: ` / `passage: ` prefixes (or whatever the model needs) are applied inside.
pub trait Embedder: Send + Sync {
    /// The identity stored beside the vectors; when it changes, stored vectors must be re-embedded.
    fn model_id(&self) -> &str;
    /// The length of every vector.
    fn dimensions(&self) -> usize;
    /// Vectors for documents' chunks, in input order.
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
    /// The vector for a search query.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>>;
    /// How many calls may usefully run at once (the local model's sessions); more callers only queue.
    fn parallelism(&self) -> usize {
        1
    }
}

impl EmbedError {
    /// Whether trying again later may succeed (endpoint unreachable, timed out, rate-limited or failing with
    /// a 5xx); a missing or corrupt model, bad configuration or a 4xx will not heal by itself.
    pub fn is_retryable(&self) -> bool {
        match self {
            EmbedError::Transport { .. } => true,
            EmbedError::Status { status, .. } => *status == 408 || *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

/// The embedder `config` asks for, validated and loaded.
pub fn from_config(config: &EmbedConfig) -> Result<Box<dyn Embedder>> {
    config.validate()?;
    Ok(match config.provider {
        Provider::Local => Box::new(LocalEmbedder::load(&config.model_dir, &LocalOptions::from_config(config))?),
        Provider::Openai => Box::new(OpenAiEmbedder::new(config)?),
    })
}
