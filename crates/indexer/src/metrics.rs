//! The indexer's metric names (listed in `deploy/metrics.txt`).

/// Finished ingest jobs by `outcome` (succeeded, failed, retried, lease_lost).
pub const INGEST_JOBS_TOTAL: &str = "aidoc_ingest_jobs_total";
/// Time per ingest `stage` (parse, chunk, embed, write).
pub const INGEST_STAGE_DURATION_SECONDS: &str = "aidoc_ingest_stage_duration_seconds";
/// Chunks embedded.
pub const EMBED_CHUNKS_TOTAL: &str = "aidoc_embed_chunks_total";
/// Chunks whose vector was reused from the index (same text, same model) instead of computed.
pub const EMBED_REUSED_TOTAL: &str = "aidoc_embed_reused_total";
/// Time per embedding call by `kind` (passage batch, query).
pub const EMBED_DURATION_SECONDS: &str = "aidoc_embed_duration_seconds";
/// Searches by `mode`.
pub const SEARCHES_TOTAL: &str = "aidoc_searches_total";
/// Hybrid searches that fell back to the keyword index (the embedding model was unavailable).
pub const SEARCHES_DEGRADED_TOTAL: &str = "aidoc_searches_degraded_total";
/// Search latency by `mode`.
pub const SEARCH_DURATION_SECONDS: &str = "aidoc_search_duration_seconds";
/// Chunks in the index.
pub const INDEX_CHUNKS: &str = "aidoc_index_chunks";

pub fn describe() {
    metrics::describe_counter!(INGEST_JOBS_TOTAL, "Finished ingest jobs by outcome.");
    metrics::describe_histogram!(INGEST_STAGE_DURATION_SECONDS, metrics::Unit::Seconds, "Time per ingest stage.");
    metrics::describe_counter!(EMBED_CHUNKS_TOTAL, "Chunks embedded.");
    metrics::describe_counter!(EMBED_REUSED_TOTAL, "Chunks whose stored vector of the same text was reused.");
    metrics::describe_histogram!(EMBED_DURATION_SECONDS, metrics::Unit::Seconds, "Time per embedding call.");
    metrics::describe_counter!(SEARCHES_TOTAL, "Searches by mode.");
    metrics::describe_counter!(
        SEARCHES_DEGRADED_TOTAL,
        "Hybrid searches answered from the keyword index alone because the embedding model was unavailable."
    );
    metrics::describe_histogram!(SEARCH_DURATION_SECONDS, metrics::Unit::Seconds, "Search latency by mode.");
    metrics::describe_gauge!(INDEX_CHUNKS, "Chunks in the index.");
}
