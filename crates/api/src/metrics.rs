//! The api's metric names (listed in `deploy/metrics.txt`).

/// Ingest jobs by `state` (queued, running, failed).
pub const INGEST_QUEUE_DEPTH: &str = "aidoc_ingest_queue_depth";
/// Age of the oldest queued job.
pub const INGEST_OLDEST_JOB_AGE_SECONDS: &str = "aidoc_ingest_oldest_job_age_seconds";
/// Enabled users seen (sign-in, refresh, session check or key use) in the last 24 hours.
pub const ACTIVE_USERS: &str = "aidoc_active_users";
/// Authentication events by `event` (login, login_failed, login_locked, refresh,
/// refresh_reuse, logout, api_key_rejected, and those the gateway records).
pub const AUTH_EVENTS_TOTAL: &str = "aidoc_auth_events_total";

pub fn describe() {
    metrics::describe_gauge!(INGEST_QUEUE_DEPTH, "Ingest jobs by state.");
    metrics::describe_gauge!(INGEST_OLDEST_JOB_AGE_SECONDS, metrics::Unit::Seconds, "Age of the oldest queued job.");
    metrics::describe_gauge!(ACTIVE_USERS, "Enabled users seen in the last 24 hours.");
    metrics::describe_counter!(AUTH_EVENTS_TOTAL, "Authentication events by kind.");
}
