//! Typed parse errors with stable codes.

use thiserror::Error;

/// Why a document could not be parsed.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ParseError {
    /// A limit was exceeded (`what` names it: bytes, pages, objects, decompressed bytes,
    /// nesting depth).
    #[error("document too large: {what} exceeds the limit of {limit}")]
    TooLarge { what: &'static str, limit: u64 },
    #[error("parsing took longer than {limit_ms} ms")]
    Timeout { limit_ms: u64 },
    #[error("corrupt document: {0}")]
    Corrupt(String),
    #[error("encrypted document: {0}")]
    Encrypted(String),
    #[error("unsupported format: {0}")]
    UnsupportedFormat(String),
    #[error("internal parser error: {0}")]
    Internal(String),
}

impl ParseError {
    /// The stable machine-readable code, carried over gRPC and shown by the UI.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::TooLarge { .. } => "too_large",
            ParseError::Timeout { .. } => "timeout",
            ParseError::Corrupt(_) => "corrupt",
            ParseError::Encrypted(_) => "encrypted",
            ParseError::UnsupportedFormat(_) => "unsupported_format",
            ParseError::Internal(_) => "internal",
        }
    }

    pub(crate) fn corrupt(msg: impl std::fmt::Display) -> Self {
        ParseError::Corrupt(msg.to_string())
    }
}

pub type Result<T, E = ParseError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let cases = [
            (ParseError::TooLarge { what: "bytes", limit: 1 }, "too_large"),
            (ParseError::Timeout { limit_ms: 5 }, "timeout"),
            (ParseError::Corrupt("x".into()), "corrupt"),
            (ParseError::Encrypted("x".into()), "encrypted"),
            (ParseError::UnsupportedFormat("x".into()), "unsupported_format"),
            (ParseError::Internal("x".into()), "internal"),
        ];
        for (err, code) in cases {
            assert_eq!(err.code(), code);
        }
        assert!(ParseError::TooLarge { what: "pages", limit: 9 }.to_string().contains("pages"));
    }
}
