//! Embedding off the async runtime: the model runs on blocking threads, as
//! many ingest batches at once as it has sessions (one per core by default),
//! spread over every document being indexed; a query takes whichever session
//! comes free first.

use crate::metrics as m;
use aidoc_embed::{EmbedError, Embedder};
use futures::StreamExt;
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
        let sessions = model.parallelism().max(1);
        EmbedPool { model, ingest: Arc::new(Semaphore::new(sessions)), batch_size: batch_size.max(1), model_id }
    }

    pub fn model_id(&self) -> &str {
        &self.model_id
    }

    pub fn dimensions(&self) -> usize {
        self.model.dimensions()
    }

    /// Vectors for `texts`, in order, computed in batches of similar
    /// length (a batch is padded to its longest text, so mixing lengths
    /// wastes most of the work on padding). The batches run on as many
    /// sessions at once as are free, so one large document uses every core.
    pub async fn embed_passages(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let order = by_length(&texts);
        let batches: Vec<Vec<usize>> = order.chunks(self.batch_size).map(<[usize]>::to_vec).collect();
        let parallel = self.model.parallelism().max(1);
        let mut results = futures::stream::iter(batches)
            .map(|batch| {
                let inputs: Vec<String> = batch.iter().map(|&i| texts[i].clone()).collect();
                async move { self.embed_batch(inputs).await.map(|vectors| (batch, vectors)) }
            })
            .buffer_unordered(parallel);
        let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        while let Some(done) = results.next().await {
            let (batch, vectors) = done?;
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = Some(v);
            }
        }
        out.into_iter()
            .map(|v| v.ok_or_else(|| EmbedError::Config(vec!["the model returned fewer vectors than texts".into()])))
            .collect()
    }

    /// One batch on the first free session.
    async fn embed_batch(&self, inputs: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let _permit = self.ingest.acquire().await.map_err(|_| EmbedError::Config(vec!["closed".into()]))?;
        let model = self.model.clone();
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
        Ok(vectors)
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

    /// Encodes each text's length in its vector and records how many calls ran at once.
    struct Counting {
        sessions: usize,
        running: std::sync::atomic::AtomicUsize,
        peak: std::sync::atomic::AtomicUsize,
    }

    impl Embedder for Counting {
        fn model_id(&self) -> &str {
            "counting"
        }
        fn dimensions(&self) -> usize {
            1
        }
        fn embed_passages(&self, texts: &[&str]) -> aidoc_embed::Result<Vec<Vec<f32>>> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.running.fetch_add(1, SeqCst) + 1;
            self.peak.fetch_max(now, SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(20));
            self.running.fetch_sub(1, SeqCst);
            Ok(texts.iter().map(|t| vec![t.len() as f32]).collect())
        }
        fn embed_query(&self, text: &str) -> aidoc_embed::Result<Vec<f32>> {
            Ok(vec![text.len() as f32])
        }
        fn parallelism(&self) -> usize {
            self.sessions
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_run_on_every_session_and_vectors_keep_the_input_order() {
        for sessions in [1usize, 3] {
            let model = Arc::new(Counting { sessions, running: 0.into(), peak: 0.into() });
            let pool = EmbedPool::new(Box::new(Shared(model.clone())), 2);
            let texts: Vec<String> = (0..17).map(|i| "x".repeat((i * 7) % 11 + 1)).collect();
            let vectors = pool.embed_passages(texts.clone()).await.unwrap();
            let lengths: Vec<f32> = vectors.iter().map(|v| v[0]).collect();
            assert_eq!(lengths, texts.iter().map(|t| t.len() as f32).collect::<Vec<_>>());
            assert_eq!(model.peak.load(std::sync::atomic::Ordering::SeqCst), sessions);
        }
    }

    /// Lets the test keep a handle on the model the pool owns.
    struct Shared(Arc<Counting>);

    impl Embedder for Shared {
        fn model_id(&self) -> &str {
            self.0.model_id()
        }
        fn dimensions(&self) -> usize {
            1
        }
        fn embed_passages(&self, texts: &[&str]) -> aidoc_embed::Result<Vec<Vec<f32>>> {
            self.0.embed_passages(texts)
        }
        fn embed_query(&self, text: &str) -> aidoc_embed::Result<Vec<f32>> {
            self.0.embed_query(text)
        }
        fn parallelism(&self) -> usize {
            self.0.parallelism()
        }
    }

    #[test]
    fn batches_group_similar_lengths_and_keep_ties_in_order() {
        let texts: Vec<String> = ["ccc", "a", "bb", "dddd", "e"].iter().map(|s| s.to_string()).collect();
        assert_eq!(by_length(&texts), vec![1, 4, 2, 0, 3]);
    }
}
