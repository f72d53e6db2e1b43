//! The api's metric names (listed in `deploy/metrics.txt`).

/// Ingest jobs by `state` (queued, running, failed).
pub const INGEST_QUEUE_DEPTH: &str = "aidoc_ingest_queue_depth";
/// Age of the oldest queued job.
pub const INGEST_OLDEST_JOB_AGE_SECONDS: &str = "aidoc_ingest_oldest_job_age_seconds";

pub fn describe() {
    metrics::describe_gauge!(INGEST_QUEUE_DEPTH, "Ingest jobs by state.");
    metrics::describe_gauge!(INGEST_OLDEST_JOB_AGE_SECONDS, metrics::Unit::Seconds, "Age of the oldest queued job.");
}
