//! The parser service's own metrics (the shared RED metrics live in `aidoc-common`).

/// Histogram of the time to parse one document, by `format`.
pub const PARSE_DURATION_SECONDS: &str = "aidoc_parse_duration_seconds";
/// Pages parsed.
pub const PARSE_PAGES_TOTAL: &str = "aidoc_parse_pages_total";
