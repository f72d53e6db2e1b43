//! [`LocalEmbedder`]: multilingual-e5-small on onnxruntime, in-process.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use ort::session::Session;
use ort::session::builder::{GraphOptimizationLevel, PrepackedWeights};
use ort::value::Tensor;
use tokenizers::{TruncationDirection, TruncationParams, TruncationStrategy};

use crate::error::{EmbedError, Result};
use crate::manifest::Manifest;
use crate::pooling::mean_pool_normalized;
use crate::unigram::CompactTokenizer;
use crate::{EmbedConfig, Embedder};

/// Longest text (bytes) handed to the tokenizer; the model sees at most 512 tokens anyway, and this bounds
/// the tokenizer's work on a pathological input. Cut at a character boundary.
const MAX_TEXT_BYTES: usize = 32 * 1024;
/// XLM-R's padding token id.
const PAD_ID: i64 = 1;

/// How to load a [`LocalEmbedder`].
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Cores the model may use in all (≥ 1).
    pub threads: usize,
    /// Forward passes that may run at once (≥ 1, at most `threads`); each gets `threads / sessions`
    /// onnxruntime intra-op threads and its own activations and copy of the weights that are not
    /// prepacked (≈ 85 MiB); the prepacked matrix weights are shared.
    pub sessions: usize,
    /// A single-threaded session of its own for queries (≈ 70 MiB more resident), so a search never waits
    /// behind a document's forward pass.
    pub query_session: bool,
    /// Texts per forward pass. Texts are sorted by length first, so a batch pads little.
    pub batch_size: usize,
    /// Check every file's sha256 against the manifest before loading.
    pub verify_checksums: bool,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map(usize::from).unwrap_or(1),
            sessions: 1,
            query_session: true,
            batch_size: 8,
            verify_checksums: true,
        }
    }
}

impl LocalOptions {
    /// Options from the `embedding` configuration section.
    pub fn from_config(config: &EmbedConfig) -> Self {
        Self {
            threads: config.effective_threads(),
            sessions: config.effective_sessions(),
            query_session: config.query_session,
            batch_size: config.batch_size.max(1),
            verify_checksums: config.verify_checksums,
        }
    }
}

/// multilingual-e5-small (384-d, English, Chinese and ~100 other languages) run by onnxruntime from a model
/// folder written by `scripts/fetch-model.sh`.
///
/// Synchronous and CPU-bound: call it from `spawn_blocking` or a worker thread. Up to `sessions` forward
/// passes run at once, from as many callers (one call's batches run one after another); further callers
/// queue. The sessions share their prepacked weights.
pub struct LocalEmbedder {
    model_id: String,
    dimensions: usize,
    query_prefix: String,
    passage_prefix: String,
    batch_size: usize,
    tokenizer: CompactTokenizer,
    sessions: Vec<Mutex<Session>>,
    /// The queries' own session, when configured.
    query_session: Option<Mutex<Session>>,
    /// Where the next caller starts looking for an idle session.
    next: AtomicUsize,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("model_id", &self.model_id)
            .field("dimensions", &self.dimensions)
            .field("batch_size", &self.batch_size)
            .field("sessions", &self.sessions.len())
            .finish_non_exhaustive()
    }
}

impl LocalEmbedder {
    /// Loads the model in `dir`: reads and (optionally) verifies the manifest, loads the onnxruntime library
    /// it names (once per process), the tokenizer and the ONNX session.
    pub fn load(dir: &Path, options: &LocalOptions) -> Result<Self> {
        let started = Instant::now();
        let manifest = Manifest::load(dir)?;
        if options.verify_checksums {
            manifest.verify(dir)?;
        }
        let lib = manifest.onnxruntime_library.as_deref().ok_or_else(|| EmbedError::Manifest {
            path: dir.join(crate::manifest::MANIFEST_FILE),
            reason: "onnxruntime_library is not set".into(),
        })?;
        let environment = init_onnxruntime(&manifest.file(dir, lib)?)?;

        let mut tokenizer = crate::unigram::load(&manifest.file(dir, "tokenizer.json")?)?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: manifest.max_tokens,
                strategy: TruncationStrategy::LongestFirst,
                direction: TruncationDirection::Right,
                stride: 0,
            }))
            .map_err(|err| EmbedError::Tokenizer(err.to_string()))?;
        tokenizer.with_padding(None);

        let total = options.threads.max(1);
        let count = options.sessions.clamp(1, total);
        let threads = (total / count).max(1);
        let model_file = manifest.file(dir, "model.onnx")?;
        let prepacked = PrepackedWeights::new();
        let mut sessions = Vec::with_capacity(count);
        for _ in 0..count {
            sessions.push(Mutex::new(new_session(environment, &model_file, threads, &prepacked)?));
        }
        let query_session = if options.query_session {
            Some(Mutex::new(new_session(environment, &model_file, 1, &prepacked)?))
        } else {
            None
        };

        let embedder = Self {
            model_id: manifest.model_id(),
            dimensions: manifest.dimensions,
            query_prefix: manifest.query_prefix.clone(),
            passage_prefix: manifest.passage_prefix.clone(),
            batch_size: options.batch_size.max(1),
            tokenizer,
            sessions,
            query_session,
            next: AtomicUsize::new(0),
        };
        tracing::info!(
            model = %embedder.model_id,
            dir = %dir.display(),
            sessions = count,
            threads_per_session = threads,
            query_session = options.query_session,
            batch_size = embedder.batch_size,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "loaded embedding model"
        );
        Ok(embedder)
    }

    /// How many forward passes may run at once: callers beyond this many wait for a session.
    pub fn parallelism(&self) -> usize {
        self.sessions.len()
    }

    /// The session for a pass: for a query its own session when there is one (or an idle shared one while
    /// another query holds it); else an idle shared session if there is one, else the next in turn.
    fn session(&self, lane: Lane) -> std::sync::MutexGuard<'_, Session> {
        if let (Lane::Query, Some(own)) = (lane, &self.query_session) {
            if let Ok(guard) = own.try_lock() {
                return guard;
            }
            if let Some(guard) = self.sessions.iter().find_map(|s| s.try_lock().ok()) {
                return guard;
            }
            return own.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.sessions.len();
        for i in 0..n {
            if let Ok(guard) = self.sessions[(start + i) % n].try_lock() {
                return guard;
            }
        }
        self.sessions[start % n].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Token ids (special tokens included, truncated to the model's context) of `text` as the model will see
    /// it, `prefix` included.
    pub fn token_ids(&self, prefix: &str, text: &str) -> Result<Vec<u32>> {
        let input = format!("{prefix}{}", clip(text, MAX_TEXT_BYTES));
        let encoding = self.tokenizer.encode(input, true).map_err(|err| EmbedError::Tokenizer(err.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Vectors for `texts` exactly as given, no prefix added: what an embeddings server does with the inputs
    /// a client has already prefixed.
    pub fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_with_prefix("", texts, Lane::Passage)
    }

    fn embed_with_prefix(&self, prefix: &str, texts: &[&str], lane: Lane) -> Result<Vec<Vec<f32>>> {
        let mut encoded = Vec::with_capacity(texts.len());
        for text in texts {
            encoded.push(self.token_ids(prefix, text)?);
        }
        // longest first, so each batch pads to nearly its own length and the first pass sizes the arena
        let mut order: Vec<usize> = (0..encoded.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(encoded[i].len()));
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); texts.len()];
        for batch in order.chunks(self.batch_size) {
            let seqs: Vec<&[u32]> = batch.iter().map(|&i| encoded[i].as_slice()).collect();
            let vectors = self.forward(&seqs, lane)?;
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    /// One forward pass over a batch of token-id sequences: pad, run, pool, normalise.
    fn forward(&self, seqs: &[&[u32]], lane: Lane) -> Result<Vec<Vec<f32>>> {
        let batch = seqs.len();
        let seq = seqs.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
        let mut ids = vec![PAD_ID; batch * seq];
        let mut mask = vec![0i64; batch * seq];
        for (b, s) in seqs.iter().enumerate() {
            for (t, id) in s.iter().enumerate() {
                ids[b * seq + t] = i64::from(*id);
                mask[b * seq + t] = 1;
            }
        }
        let shape = [batch as i64, seq as i64];
        let ids_t = Tensor::from_array((shape, ids)).map_err(|err| EmbedError::Runtime(err.to_string()))?;
        let mask_t = Tensor::from_array((shape, mask.clone())).map_err(|err| EmbedError::Runtime(err.to_string()))?;
        let mut session = self.session(lane);
        let outputs = session
            .run(ort::inputs!["input_ids" => ids_t, "attention_mask" => mask_t])
            .map_err(|err| EmbedError::Runtime(format!("running the model: {err}")))?;
        let (out_shape, hidden) = outputs["last_hidden_state"]
            .try_extract_tensor::<f32>()
            .map_err(|err| EmbedError::Runtime(format!("reading the output: {err}")))?;
        let dims: Vec<i64> = out_shape.iter().copied().collect();
        if dims != [batch as i64, seq as i64, self.dimensions as i64] {
            return Err(EmbedError::Runtime(format!(
                "output shape {dims:?}, expected [{batch}, {seq}, {}]",
                self.dimensions
            )));
        }
        Ok(mean_pool_normalized(hidden, &mask, batch, seq, self.dimensions))
    }
}

impl Embedder for LocalEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.dimensions
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        self.embed_with_prefix(&self.passage_prefix, texts, Lane::Passage)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        let mut v = self.embed_with_prefix(&self.query_prefix, &[text], Lane::Query)?;
        v.pop().ok_or_else(|| EmbedError::Runtime("no vector for the query".into()))
    }

    fn parallelism(&self) -> usize {
        LocalEmbedder::parallelism(self)
    }
}

/// Who a forward pass is for.
#[derive(Debug, Clone, Copy)]
enum Lane {
    Passage,
    Query,
}

/// One onnxruntime session of the model with `threads` intra-op threads, its int8 weights prepacked into
/// (or taken from) `prepacked`.
fn new_session(
    environment: &'static ort::environment::Environment,
    model_file: &Path,
    threads: usize,
    prepacked: &PrepackedWeights,
) -> Result<Session> {
    Session::builder(environment)
        .map_err(options_err)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(options_err)?
        .with_intra_threads(threads)
        .map_err(options_err)?
        .with_inter_threads(1)
        .map_err(options_err)?
        .with_parallel_execution(false)
        .map_err(options_err)?
        // idle pool threads sleep instead of spinning: the indexer has other work for these cores (spinning
        // was 8-10 % faster for the model alone, no faster in the whole ingest pipeline)
        .with_intra_op_spinning(false)
        .map_err(options_err)?
        // SkipLayerNormalization's CPU kernel is slower here than the Add + LayerNormalization it replaces
        // (measured 10-15 % of the whole forward pass on AVX2)
        .with_disabled_optimizers("SkipLayerNormFusion")
        .map_err(options_err)?
        // the int8 weights, packed for the matrix kernels once and shared by every session
        .with_prepacked_weights(prepacked)
        .map_err(options_err)?
        .commit_from_file(model_file)
        .map_err(|err| EmbedError::Runtime(format!("loading model.onnx: {err}")))
}

/// Loads the onnxruntime library once per process and keeps its environment alive. A second model folder
/// naming another library file reuses the first one loaded (one onnxruntime per process), with a warning.
fn init_onnxruntime(lib: &Path) -> Result<&'static ort::environment::Environment> {
    static RUNTIME: OnceLock<std::result::Result<(PathBuf, ort::environment::Environment), String>> = OnceLock::new();
    let loaded = RUNTIME.get_or_init(|| {
        let env = ort::init_from(lib)
            .map_err(|err| format!("loading {}: {err}", lib.display()))?
            .with_name("aidoc-embed")
            .with_telemetry(false)
            .build()
            .map_err(|err| format!("creating the environment: {err}"))?;
        Ok((lib.to_path_buf(), env))
    });
    match loaded {
        Ok((first, environment)) => {
            if first != lib {
                tracing::warn!(loaded = %first.display(), requested = %lib.display(),
                    "onnxruntime is already loaded from another file; using it");
            }
            Ok(environment)
        }
        Err(message) => Err(EmbedError::Runtime(message.clone())),
    }
}

fn options_err<R>(err: ort::Error<R>) -> EmbedError {
    EmbedError::Runtime(format!("session options: {err}"))
}

/// `text` cut to at most `max` bytes at a character boundary.
fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_respects_char_boundaries() {
        assert_eq!(clip("abc", 10), "abc");
        assert_eq!(clip("abcdef", 3), "abc");
        // "数" is 3 bytes: cutting at 4 must fall back to 3
        assert_eq!(clip("数据", 4), "数");
        assert_eq!(clip("数据", 2), "");
    }
}
