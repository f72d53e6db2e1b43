//! Embedding off the async runtime: the model runs on blocking threads, one
//! ingest batch at a time (the model already uses every core), while query
//! embeddings do not queue behind ingest work.

use crate::metrics as m;
use aidoc_embed::{EmbedError, Embedder};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct EmbedPool {
    model: Arc<dyn Embedder>,
    ingest: Arc<Semaphore>,
    batch_size: usize,
    model_id: Arc<str>,
}

impl EmbedPool {
    pub fn new(model: Box<dyn Embedder>, batch_size: usize) -> Self {
        let model: Arc<dyn Embedder> = Arc::from(model);
        let model_id = Arc::from(model.model_id());
        EmbedPool { model, ingest: Arc::new(Semaphore::new(1)), batch_size: batch_size.max(1), model_id }
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn dimensions(&self) -> usize {
        self.model.dimensions()
    }

    /// Vectors for `texts`, in order, computed in batches.
    pub async fn embed_passages(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.batch_size) {
            let _permit = self.ingest.acquire().await.map_err(|_| EmbedError::Config(vec!["closed".into()]))?;
            let model = self.model.clone();
            let batch: Vec<String> = batch.to_vec();
            let n = batch.len();
            let t = Instant::now();
            let vectors = tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
                model.embed_passages(&refs)
            })
            .await
            .map_err(|e| EmbedError::Config(vec![format!("embedding task failed: {e}")]))??;
            metrics::histogram!(m::EMBED_DURATION_SECONDS, "kind" => "passage").record(t.elapsed().as_secs_f64());
            metrics::counter!(m::EMBED_CHUNKS_TOTAL).increment(n as u64);
            out.extend(vectors);
        }
        Ok(out)
    }

    pub async fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let model = self.model.clone();
        let text = text.to_owned();
        let t = Instant::now();
        let v = tokio::task::spawn_blocking(move || model.embed_query(&text))
            .await
            .map_err(|e| EmbedError::Config(vec![format!("embedding task failed: {e}")]))??;
        metrics::histogram!(m::EMBED_DURATION_SECONDS, "kind" => "query").record(t.elapsed().as_secs_f64());
        Ok(v)
    }
}
