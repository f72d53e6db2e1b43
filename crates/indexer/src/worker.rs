//! The ingest worker: claims a job, streams the blob to the parser, chunks,
//! embeds, replaces the document's chunks, and completes or fails the job
//! with a typed reason. A heartbeat keeps the lease while it works; when the
//! lease is lost the work stops and nothing is reported.

use crate::config::IndexerConfig;
use crate::embedding::EmbedPool;
use crate::metrics as m;
use crate::store::{self, IndexedChunk, StoreError};
use aidoc_common::client::TracedChannel;
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as api_pb;
use aidoc_proto::api::v1::job_service_client::JobServiceClient;
use aidoc_proto::parser::v1 as parser_pb;
use aidoc_proto::parser::v1::parser_service_client::ParserServiceClient;
use aidoc_storage::{ObjectStore, StorageError};
use aidoc_text::chunk::{Block, BlockKind, ChunkerConfig, approx_tokens, chunk_document};
use deadpool_postgres::Pool;
use futures::StreamExt;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Why a job did not finish: the typed reason the document shows.
#[derive(Debug, Clone)]
pub struct JobError {
    pub code: &'static str,
    pub message: String,
    pub retryable: bool,
}

impl JobError {
    fn new(code: &'static str, message: impl Into<String>, retryable: bool) -> Self {
        JobError { code, message: message.into(), retryable }
    }
}

/// The parser's typed errors as the document failure reasons users see.
pub fn parse_failure(status: &tonic::Status, media_type: &str) -> JobError {
    let msg = status.message().to_owned();
    match aidoc_proto::status_code_of(status) {
        ErrorCode::Encrypted if media_type == "application/pdf" => JobError::new("encrypted_pdf", msg, false),
        ErrorCode::Encrypted => JobError::new("encrypted_document", msg, false),
        ErrorCode::Corrupt | ErrorCode::MalformedBody => JobError::new("corrupt_file", msg, false),
        ErrorCode::UnsupportedFormat => JobError::new("unsupported_format", msg, false),
        ErrorCode::TooLarge => JobError::new("too_large", msg, false),
        ErrorCode::Timeout => JobError::new("parser_timeout", msg, true),
        ErrorCode::Unavailable | ErrorCode::Cancelled => JobError::new("parser_unavailable", msg, true),
        ErrorCode::InvalidArgument => JobError::new("corrupt_file", msg, false),
        _ if aidoc_common::client::is_retryable(status) => JobError::new("parser_unavailable", msg, true),
        _ => JobError::new("parse_failed", msg, true),
    }
}

/// What a finished job reports.
#[derive(Debug, Default)]
pub struct Outcome {
    pub pages: u32,
    pub chunks: u32,
    pub language: String,
    pub title: String,
    pub author: String,
}

/// How a claimed job ended, as far as the claim loop cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Processed {
    Done,
    /// It failed because the embedding model could not be reached: wait for it before claiming more.
    EmbedderUnavailable,
}

#[derive(Clone)]
pub struct Worker {
    pub id: String,
    pub jobs: JobServiceClient<TracedChannel>,
    pub parser: ParserServiceClient<TracedChannel>,
    pub store: Arc<dyn ObjectStore>,
    pub pool: Pool,
    pub embed: EmbedPool,
    pub cfg: Arc<IndexerConfig>,
}

impl Worker {
    /// Claims and runs jobs until `stop` is cancelled.
    pub async fn run(self, stop: CancellationToken) {
        tracing::info!(worker = %self.id, "ingest worker started");
        let mut idle = self.cfg.worker.poll_interval;
        while !stop.is_cancelled() {
            let claim = self
                .jobs
                .clone()
                .claim_job(api_pb::ClaimJobRequest {
                    worker_id: self.id.clone(),
                    lease_seconds: self.cfg.worker.lease.as_secs() as u32,
                })
                .await;
            let wait = match claim {
                Ok(r) => match r.into_inner().job {
                    Some(job) => {
                        if self.process(job, &stop).await == Processed::EmbedderUnavailable {
                            self.wait_for_embedder(&stop).await;
                        }
                        idle = self.cfg.worker.poll_interval;
                        continue;
                    }
                    None => self.cfg.worker.poll_interval,
                },
                Err(status) => {
                    tracing::warn!(error = %status.message(), "claiming a job failed");
                    idle = (idle * 2).min(Duration::from_secs(10));
                    idle
                }
            };
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        tracing::info!(worker = %self.id, "ingest worker stopped");
    }

    /// While the embedding model does not answer (its endpoint is down or overloaded), claim nothing: every
    /// job claimed meanwhile would only spend one of its attempts. Probes with growing pauses (up to 30 s).
    async fn wait_for_embedder(&self, stop: &CancellationToken) {
        tracing::warn!(worker = %self.id, "the embedding model is unavailable; no jobs are claimed until it answers");
        let mut pause = Duration::from_secs(1);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
            match self.embed.probe().await {
                Ok(()) => {
                    tracing::info!(worker = %self.id, "the embedding model answers again; claiming jobs");
                    return;
                }
                Err(e) if e.is_retryable() => pause = (pause * 2).min(Duration::from_secs(30)),
                // A permanent error (a bad key, a wrong model): jobs will fail with it and say why.
                Err(_) => return,
            }
        }
    }

    async fn process(&self, job: api_pb::Job, stop: &CancellationToken) -> Processed {
        let started = Instant::now();
        let job_id = job.id.clone();
        let lost = CancellationToken::new();
        let heartbeat = self.spawn_heartbeat(job_id.clone(), lost.clone());
        let result = tokio::select! {
            r = self.ingest(&job) => Some(r),
            _ = lost.cancelled() => None,
            _ = stop.cancelled() => {
                Some(Err(JobError::new("worker_shutdown", "the indexer stopped while processing; retried", true)))
            }
        };
        heartbeat.abort();
        let mut jobs = self.jobs.clone();
        let processed = match &result {
            Some(Err(e)) if e.code == "embedding_failed" && e.retryable => Processed::EmbedderUnavailable,
            _ => Processed::Done,
        };
        match result {
            None => {
                tracing::warn!(job = %job_id, "lease lost; another worker owns the job now");
                metrics::counter!(m::INGEST_JOBS_TOTAL, "outcome" => "lease_lost").increment(1);
            }
            Some(Ok(o)) => {
                let r = jobs
                    .complete_job(api_pb::CompleteJobRequest {
                        job_id: job_id.clone(),
                        worker_id: self.id.clone(),
                        page_count: o.pages,
                        chunk_count: o.chunks,
                        language: o.language,
                        title: o.title,
                        author: o.author,
                    })
                    .await;
                match r {
                    Ok(_) => {
                        metrics::counter!(m::INGEST_JOBS_TOTAL, "outcome" => "succeeded").increment(1);
                        tracing::info!(job = %job_id, chunks = o.chunks, ms = started.elapsed().as_millis() as u64, "document indexed");
                    }
                    Err(s) => tracing::warn!(job = %job_id, error = %s.message(), "completing the job failed"),
                }
            }
            Some(Err(e)) => {
                let r = jobs
                    .fail_job(api_pb::FailJobRequest {
                        job_id: job_id.clone(),
                        worker_id: self.id.clone(),
                        error_code: e.code.to_owned(),
                        message: e.message.clone(),
                        retryable: e.retryable,
                    })
                    .await;
                let outcome = match r.map(|r| r.into_inner().state) {
                    Ok(s) if s == api_pb::JobState::Queued as i32 => "retried",
                    Ok(_) => "failed",
                    Err(ref s) => {
                        tracing::warn!(job = %job_id, error = %s.message(), "reporting the failure failed");
                        "failed"
                    }
                };
                metrics::counter!(m::INGEST_JOBS_TOTAL, "outcome" => outcome).increment(1);
                tracing::warn!(job = %job_id, code = e.code, outcome, "document not indexed: {}", e.message);
            }
        }
        processed
    }

    fn spawn_heartbeat(&self, job_id: String, lost: CancellationToken) -> tokio::task::JoinHandle<()> {
        let mut jobs = self.jobs.clone();
        let worker = self.id.clone();
        let lease = self.cfg.worker.lease;
        tokio::spawn(async move {
            let every = lease / 3;
            loop {
                tokio::time::sleep(every).await;
                let r = jobs
                    .heartbeat(api_pb::HeartbeatRequest {
                        job_id: job_id.clone(),
                        worker_id: worker.clone(),
                        lease_seconds: lease.as_secs() as u32,
                    })
                    .await;
                match r {
                    Ok(_) => {}
                    Err(s) if aidoc_proto::status_code_of(&s) == ErrorCode::Conflict => {
                        lost.cancel();
                        return;
                    }
                    // The api restarting is not a lost lease; try again next beat.
                    Err(s) => tracing::warn!(job = %job_id, error = %s.message(), "heartbeat failed"),
                }
            }
        })
    }

    /// One vector per text: those of texts already embedded by this model (in any document: a re-index, a
    /// new version, a copy, repeated boilerplate) come from the index, each other distinct text goes through
    /// the model once.
    async fn vectors(&self, texts: Vec<String>, digests: &[Vec<u8>]) -> Result<Vec<Vec<f32>>, JobError> {
        let mut known = store::reusable_vectors(&self.pool, self.embed.model_id(), digests).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "looking up stored vectors failed; embedding every chunk");
            HashMap::new()
        });
        let mut queued = HashSet::new();
        let missing: Vec<usize> =
            (0..texts.len()).filter(|&i| !known.contains_key(&digests[i]) && queued.insert(&digests[i])).collect();
        metrics::counter!(m::EMBED_REUSED_TOTAL).increment((texts.len() - missing.len()) as u64);
        let fresh = self
            .embed
            .embed_passages(missing.iter().map(|&i| texts[i].clone()).collect())
            .await
            .map_err(|e| JobError::new("embedding_failed", format!("embedding failed: {e}"), e.is_retryable()))?;
        for (&i, v) in missing.iter().zip(fresh) {
            known.insert(digests[i].clone(), v);
        }
        digests
            .iter()
            .map(|d| known.get(d).cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| JobError::new("internal", "a chunk has no vector", true))
    }

    /// Parse → chunk → embed → write, for one job.
    pub async fn ingest(&self, job: &api_pb::Job) -> Result<Outcome, JobError> {
        let document = Uuid::parse_str(&job.document_id)
            .map_err(|_| JobError::new("internal", format!("bad document id {}", job.document_id), false))?;

        let t = Instant::now();
        let parsed = self.parse(job).await?;
        record_stage("parse", t);

        self.report(job, api_pb::Stage::Indexing).await;
        let t = Instant::now();
        let chunker = ChunkerConfig {
            max_tokens: self.cfg.chunking.max_tokens,
            overlap_tokens: self.cfg.chunking.overlap_tokens,
            min_tokens: self.cfg.chunking.min_tokens,
        };
        let blocks = parsed.blocks;
        let chunks = tokio::task::spawn_blocking(move || chunk_document(&blocks, &chunker, &approx_tokens))
            .await
            .map_err(|e| JobError::new("internal", format!("chunking failed: {e}"), true))?;
        let doc_language = aidoc_text::lang::detect_language(
            &chunks.iter().take(20).map(|c| c.text.as_str()).collect::<Vec<_>>().join("\n"),
        )
        .to_owned();
        let mut prepared: Vec<(aidoc_text::chunk::Chunk, String, String)> = Vec::with_capacity(chunks.len());
        for c in chunks {
            let tokens = aidoc_text::tokenize::index_tokens(&format!("{}\n{}", c.heading_path.join("\n"), c.text));
            let tsv = aidoc_text::tokenize::to_tsvector_literal(&tokens);
            let lang = aidoc_text::lang::detect_language(&c.text).to_owned();
            prepared.push((c, tsv, lang));
        }
        record_stage("chunk", t);

        let t = Instant::now();
        let texts: Vec<String> = prepared.iter().map(|(c, _, _)| c.embedding_text()).collect();
        let digests: Vec<Vec<u8>> = texts.iter().map(|t| store::embedded_digest(t)).collect();
        let vectors = self.vectors(texts, &digests).await?;
        record_stage("embed", t);

        let t = Instant::now();
        let indexed: Vec<IndexedChunk> = prepared
            .into_iter()
            .zip(vectors)
            .zip(digests)
            .map(|(((chunk, tsvector, language), embedding), embedded_sha256)| IndexedChunk {
                chunk,
                tsvector,
                language,
                embedding,
                embedded_sha256,
            })
            .collect();
        store::replace_chunks(&self.pool, document, parsed.pages, self.embed.model_id(), &parsed.outline, &indexed)
            .await
            .map_err(|e| match e {
                StoreError::DocumentGone => JobError::new("document_deleted", "the document was deleted", false),
                StoreError::Db(m) => JobError::new("index_write_failed", m, true),
            })?;
        record_stage("write", t);
        Ok(Outcome {
            pages: parsed.pages,
            chunks: indexed.len() as u32,
            language: doc_language,
            title: parsed.title,
            author: parsed.author,
        })
    }

    async fn report(&self, job: &api_pb::Job, stage: api_pb::Stage) {
        let r = self
            .jobs
            .clone()
            .report_progress(api_pb::ReportProgressRequest {
                job_id: job.id.clone(),
                worker_id: self.id.clone(),
                stage: stage as i32,
            })
            .await;
        if let Err(s) = r {
            tracing::debug!(error = %s.message(), "progress not recorded");
        }
    }

    async fn parse(&self, job: &api_pb::Job) -> Result<Parsed, JobError> {
        parse_blob(self.store.clone(), self.parser.clone(), self.cfg.worker.parse_timeout, job.clone()).await
    }
}

async fn parse_blob(
    store: Arc<dyn ObjectStore>,
    mut parser: ParserServiceClient<TracedChannel>,
    timeout: Duration,
    job: api_pb::Job,
) -> Result<Parsed, JobError> {
    {
        let blob = store.get(&job.blob_key).await.map_err(|e| match e {
            StorageError::NotFound { .. } => JobError::new(
                "blob_missing",
                format!("the uploaded file {} is missing from storage", job.blob_key),
                false,
            ),
            other => JobError::new("storage_unavailable", other.to_string(), true),
        })?;
        let read_error: Arc<Mutex<Option<std::io::Error>>> = Arc::default();
        let requests = request_stream(&job, blob, read_error.clone());
        let mut request = tonic::Request::new(requests);
        request.set_timeout(timeout);
        let mut responses = match parser.parse(request).await {
            Ok(r) => r.into_inner(),
            Err(s) => return Err(parse_error(&read_error, &s, &job.media_type)),
        };
        let mut parsed = Parsed::default();
        loop {
            let msg = match responses.message().await {
                Ok(m) => m,
                Err(s) => return Err(parse_error(&read_error, &s, &job.media_type)),
            };
            let Some(msg) = msg else { break };
            match msg.msg {
                Some(parser_pb::parse_response::Msg::Info(info)) => {
                    parsed.title = info.title.trim().to_owned();
                    parsed.author = info.author.trim().to_owned();
                    parsed.pages = info.page_count;
                    parsed.outline = serde_json::Value::Array(
                        info.outline
                            .iter()
                            .map(|o| serde_json::json!({ "title": o.title, "level": o.level, "page": o.page }))
                            .collect(),
                    );
                }
                Some(parser_pb::parse_response::Msg::Page(page)) => {
                    for b in page.blocks {
                        let kind =
                            match parser_pb::BlockKind::try_from(b.kind).unwrap_or(parser_pb::BlockKind::Paragraph) {
                                parser_pb::BlockKind::Heading => BlockKind::Heading,
                                parser_pb::BlockKind::ListItem => BlockKind::ListItem,
                                parser_pb::BlockKind::Table => BlockKind::Table,
                                parser_pb::BlockKind::Code => BlockKind::Code,
                                _ => BlockKind::Paragraph,
                            };
                        let page_no = if b.page > 0 { b.page } else { page.number };
                        let text = if kind == BlockKind::Code { b.text } else { collapse_leaders(&b.text) };
                        parsed.blocks.push(Block { kind, text, level: b.level, page: page_no, label: b.label });
                    }
                }
                Some(parser_pb::parse_response::Msg::Summary(s)) => {
                    parsed.pages = parsed.pages.max(s.pages);
                }
                None => {}
            }
        }
        let taken = read_error.lock().unwrap_or_else(|p| p.into_inner()).take();
        match taken {
            Some(e) => Err(JobError::new("storage_unavailable", format!("reading the file failed: {e}"), true)),
            None => Ok(parsed),
        }
    }
}

fn parse_error(read_error: &Mutex<Option<std::io::Error>>, s: &tonic::Status, media_type: &str) -> JobError {
    let taken = read_error.lock().unwrap_or_else(|p| p.into_inner()).take();
    match taken {
        Some(e) => JobError::new("storage_unavailable", format!("reading the file failed: {e}"), true),
        None => parse_failure(s, media_type),
    }
}

#[derive(Default)]
struct Parsed {
    title: String,
    author: String,
    pages: u32,
    outline: serde_json::Value,
    blocks: Vec<Block>,
}

fn record_stage(stage: &'static str, t: Instant) {
    metrics::histogram!(m::INGEST_STAGE_DURATION_SECONDS, "stage" => stage).record(t.elapsed().as_secs_f64());
}

/// The Parse call's request stream: a header, then the blob in messages of
/// at most 256 KiB, fed by a task through a small channel (tonic needs a
/// `Sync` stream; the blob stream is not). A read error ends the stream and
/// is kept in `read_error` so the failure is reported as storage, not as a
/// broken file.
fn request_stream(
    job: &api_pb::Job,
    mut blob: aidoc_storage::ByteStream,
    read_error: Arc<Mutex<Option<std::io::Error>>>,
) -> tokio_stream::wrappers::ReceiverStream<parser_pb::ParseRequest> {
    let header = parser_pb::ParseRequest {
        msg: Some(parser_pb::parse_request::Msg::Header(parser_pb::ParseHeader {
            file_name: job.file_name.clone(),
            declared_type: job.media_type.clone(),
            declared_size: 0,
        })),
    };
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(async move {
        if tx.send(header).await.is_err() {
            return;
        }
        while let Some(next) = blob.next().await {
            match next {
                Ok(bytes) => {
                    for c in bytes.chunks(256 * 1024) {
                        let msg =
                            parser_pb::ParseRequest { msg: Some(parser_pb::parse_request::Msg::Chunk(c.to_vec())) };
                        if tx.send(msg).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    *read_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    return;
                }
            }
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// Dot leaders of tables of contents ("Introduction ........ 3") carry no
/// meaning but dominate a chunk's tokens and its vector: runs of four or more
/// dots (spaced or not) become one ellipsis.
pub fn collapse_leaders(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], '.' | '·' | '…') {
            let mut j = i;
            let mut dots = 0;
            while j < chars.len() && (matches!(chars[j], '.' | '·' | '…') || (chars[j] == ' ' && dots > 0)) {
                if chars[j] != ' ' {
                    dots += 1;
                }
                j += 1;
            }
            if dots >= 4 {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push_str(" … ");
                while j < chars.len() && chars[j] == ' ' {
                    j += 1;
                }
                i = j;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_leaders_collapse_but_ellipses_and_versions_stay() {
        assert_eq!(collapse_leaders("Introduction ........ 3"), "Introduction … 3");
        assert_eq!(collapse_leaders("Setup . . . . . . 12"), "Setup … 12");
        assert_eq!(collapse_leaders("wait... then v1.2.3"), "wait... then v1.2.3");
        assert_eq!(collapse_leaders("目录……………5"), "目录 … 5");
    }

    #[test]
    fn parser_errors_become_typed_document_failures() {
        let pdf = "application/pdf";
        let cases = [
            (ErrorCode::Encrypted, pdf, "encrypted_pdf", false),
            (ErrorCode::Encrypted, crate::worker::tests::DOCX, "encrypted_document", false),
            (ErrorCode::Corrupt, pdf, "corrupt_file", false),
            (ErrorCode::UnsupportedFormat, pdf, "unsupported_format", false),
            (ErrorCode::TooLarge, pdf, "too_large", false),
            (ErrorCode::Timeout, pdf, "parser_timeout", true),
            (ErrorCode::Unavailable, pdf, "parser_unavailable", true),
        ];
        for (code, media, expected, retryable) in cases {
            let e = parse_failure(&code.status("x"), media);
            assert_eq!((e.code, e.retryable), (expected, retryable), "{code:?}");
        }
        // A transport failure without our error code is retried.
        let e = parse_failure(&tonic::Status::unknown("connection reset"), pdf);
        assert!(e.retryable);
    }

    const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
}
