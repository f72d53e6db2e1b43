//! The gateway's own metric names (listed in `deploy/metrics.txt`).

/// Uploaded files by `outcome` (created, duplicate).
pub const UPLOADS_TOTAL: &str = "aidoc_uploads_total";
/// Bytes of newly stored uploads.
pub const UPLOAD_BYTES_TOTAL: &str = "aidoc_upload_bytes_total";

pub fn describe() {
    metrics::describe_counter!(UPLOADS_TOTAL, "Uploaded files by outcome.");
    metrics::describe_counter!(UPLOAD_BYTES_TOTAL, metrics::Unit::Bytes, "Bytes of newly stored uploads.");
}
