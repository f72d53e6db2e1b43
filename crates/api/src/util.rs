//! Small conversions shared by the handlers: ids, timestamps, cursors,
//! actors.

use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Parses a required id; `what` names it in the error.
pub fn parse_id(value: &str, what: &str) -> Result<Uuid, tonic::Status> {
    if value.is_empty() {
        return Err(ErrorCode::InvalidArgument.status(format!("{what} is required")));
    }
    Uuid::parse_str(value).map_err(|_| ErrorCode::InvalidArgument.status(format!("{what} `{value}` is not a valid id")))
}

/// Parses an optional id (empty = none).
pub fn parse_opt_id(value: &str, what: &str) -> Result<Option<Uuid>, tonic::Status> {
    if value.is_empty() { Ok(None) } else { parse_id(value, what).map(Some) }
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn opt_ts(t: Option<DateTime<Utc>>) -> String {
    t.map(ts).unwrap_or_default()
}

pub fn opt_id(id: Option<Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

/// The acting user's id, when the caller is a signed-in user.
pub fn actor_user(actor: &Option<pb::Actor>) -> Option<Uuid> {
    actor.as_ref().and_then(|a| Uuid::parse_str(&a.user_id).ok())
}

/// An opaque keyset-pagination cursor: the sort key's value and the id of
/// the last row returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort the cursor belongs to; a cursor is refused under another.
    pub s: String,
    pub v: String,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn decode(raw: &str, sort: &str) -> Result<Option<Cursor>, tonic::Status> {
        if raw.is_empty() {
            return Ok(None);
        }
        let bad = || ErrorCode::InvalidArgument.status("cursor is not valid for this listing");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| bad())?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if cursor.s != sort {
            return Err(bad());
        }
        Ok(Some(cursor))
    }
}

/// Page size: default 50, at most 500.
pub fn page_limit(requested: u32) -> i64 {
    match requested {
        0 => 50,
        n => i64::from(n.min(500)),
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
pub fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_sort() {
        let c = Cursor { s: "-created_at".into(), v: "2026-01-01T00:00:00.000Z".into(), id: Uuid::nil() };
        let raw = c.encode();
        assert_eq!(Cursor::decode(&raw, "-created_at").unwrap(), Some(c));
        assert!(Cursor::decode(&raw, "title").is_err());
        assert!(Cursor::decode("not base64!", "title").is_err());
        assert_eq!(Cursor::decode("", "title").unwrap(), None);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }

    #[test]
    fn ids_are_checked() {
        assert!(parse_id("", "document id").is_err());
        assert!(parse_id("nope", "document id").is_err());
        assert_eq!(parse_opt_id("", "x").unwrap(), None);
    }
}
