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

    /// Vectors for `texts`, in order, computed in batches of similar
    /// length (a batch is padded to its longest text, so mixing lengths
    /// wastes most of the work on padding).
    pub async fn embed_passages(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let order = by_length(&texts);
        let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        for batch in order.chunks(self.batch_size) {
            let _permit = self.ingest.acquire().await.map_err(|_| EmbedError::Config(vec!["closed".into()]))?;
            let model = self.model.clone();
            let inputs: Vec<String> = batch.iter().map(|&i| texts[i].clone()).collect();
            let n = inputs.len();
            let t = Instant::now();
            let vectors = tokio::task::spawn_blocking(move || {
                let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                model.embed_passages(&refs)
            })
            .await
            .map_err(|e| EmbedError::Config(vec![format!("embedding task failed: {e}")]))??;
            metrics::histogram!(m::EMBED_DURATION_SECONDS, "kind" => "passage").record(t.elapsed().as_secs_f64());
            metrics::counter!(m::EMBED_CHUNKS_TOTAL).increment(n as u64);
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = Some(v);
            }
        }
        out.into_iter()
            .map(|v| v.ok_or_else(|| EmbedError::Config(vec!["the model returned fewer vectors than texts".into()])))
            .collect()
    }

    /// Whether the model answers now: one tiny passage through it (for a worker waiting out an outage of the
    /// model's endpoint before it claims more jobs).
    pub async fn probe(&self) -> Result<(), EmbedError> {
        let model = self.model.clone();
        tokio::task::spawn_blocking(move || model.embed_passages(&["probe"]).map(|_| ()))
            .await
            .map_err(|e| EmbedError::Config(vec![format!("embedding task failed: {e}")]))?
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

/// Indexes of `texts` ordered by length (stable), for batching.
fn by_length(texts: &[String]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| texts[i].len());
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_group_similar_lengths_and_keep_ties_in_order() {
        let texts: Vec<String> = ["ccc", "a", "bb", "dddd", "e"].iter().map(|s| s.to_string()).collect();
        assert_eq!(by_length(&texts), vec![1, 4, 2, 0, 3]);
    }
}
