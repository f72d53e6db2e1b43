//! The gateway's own metric names (listed in `deploy/metrics.txt`).

/// Uploaded files by `outcome` (created, duplicate).
pub const UPLOADS_TOTAL: &str = "aidoc_uploads_total";
/// Bytes of newly stored uploads.
pub const UPLOAD_BYTES_TOTAL: &str = "aidoc_upload_bytes_total";
/// Authentication events the gateway sees by `event` (token_expired,
/// token_rejected, session_rejected, forbidden, login_throttled); the api
/// counts sign-ins, refreshes, sign-outs and rejected keys.
pub const AUTH_EVENTS_TOTAL: &str = "aidoc_auth_events_total";
/// Requests refused with 429 by `scope` (user, key, ip, login).
pub const RATE_LIMITED_TOTAL: &str = "aidoc_rate_limited_total";

/// MCP tool calls by `tool` and `outcome` (ok, bad_arguments, not_found,
/// failed; `unknown_tool` for names that are no tool).
pub const MCP_TOOL_CALLS_TOTAL: &str = "aidoc_mcp_tool_calls_total";

pub fn describe() {
    metrics::describe_counter!(UPLOADS_TOTAL, "Uploaded files by outcome.");
    metrics::describe_counter!(UPLOAD_BYTES_TOTAL, metrics::Unit::Bytes, "Bytes of newly stored uploads.");
    metrics::describe_counter!(AUTH_EVENTS_TOTAL, "Authentication events by kind.");
    metrics::describe_counter!(RATE_LIMITED_TOTAL, "Requests refused by a rate limit, by scope.");
    metrics::describe_counter!(MCP_TOOL_CALLS_TOTAL, "MCP tool calls by tool and outcome.");
}
