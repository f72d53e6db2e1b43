//! One closed set of error codes for the whole system.
//!
//! Every error that crosses a service boundary carries one of these codes: in
//! gRPC as the `x-aidoc-error-code` metadata entry next to the matching gRPC
//! status code, over HTTP as the `code` field of the JSON error body next to
//! the matching HTTP status. Both mappings are exhaustive `match`es, so adding
//! a code forces a decision at each of them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The metadata key carrying the [`ErrorCode`] on a `tonic::Status`.
pub const ERROR_CODE_METADATA_KEY: &str = "x-aidoc-error-code";

/// The metadata key carrying, in whole seconds, how long a caller refused
/// with [`ErrorCode::RateLimited`] should wait (HTTP `Retry-After`).
pub const RETRY_AFTER_METADATA_KEY: &str = "x-aidoc-retry-after";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A request field is missing or has an invalid value.
    InvalidArgument,
    /// The request body is not valid JSON or multipart.
    MalformedBody,
    /// No valid credentials were presented.
    Unauthenticated,
    /// A user name and password (or current password) did not match.
    InvalidCredentials,
    /// The access token was valid but has expired: refresh it.
    TokenExpired,
    /// The credentials are valid but do not allow this action.
    PermissionDenied,
    NotFound,
    AlreadyExists,
    /// The resource changed under the caller (e.g. a job lease was taken over).
    Conflict,
    /// An upload, file or request exceeds a configured limit.
    TooLarge,
    /// The file's content is not a supported format.
    UnsupportedFormat,
    /// The file is encrypted and needs a password.
    Encrypted,
    /// The file is damaged beyond what the parser can recover.
    Corrupt,
    /// An operation did not finish within its time limit.
    Timeout,
    RateLimited,
    /// The capability exists in the contract but not in this release.
    Unimplemented,
    /// The resource exists but does not answer this HTTP method.
    MethodNotAllowed,
    /// A dependency (database, object storage, another service) is unavailable.
    Unavailable,
    Cancelled,
    Internal,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 20] = [
        ErrorCode::InvalidArgument,
        ErrorCode::MalformedBody,
        ErrorCode::Unauthenticated,
        ErrorCode::InvalidCredentials,
        ErrorCode::TokenExpired,
        ErrorCode::PermissionDenied,
        ErrorCode::NotFound,
        ErrorCode::AlreadyExists,
        ErrorCode::Conflict,
        ErrorCode::TooLarge,
        ErrorCode::UnsupportedFormat,
        ErrorCode::Encrypted,
        ErrorCode::Corrupt,
        ErrorCode::Timeout,
        ErrorCode::RateLimited,
        ErrorCode::Unimplemented,
        ErrorCode::MethodNotAllowed,
        ErrorCode::Unavailable,
        ErrorCode::Cancelled,
        ErrorCode::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::MalformedBody => "malformed_body",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::PermissionDenied => "permission_denied",
            ErrorCode::NotFound => "not_found",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnsupportedFormat => "unsupported_format",
            ErrorCode::Encrypted => "encrypted",
            ErrorCode::Corrupt => "corrupt",
            ErrorCode::Timeout => "timeout",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unimplemented => "unimplemented",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Internal => "internal",
        }
    }

    /// The gRPC status code for this error.
    pub fn grpc_code(self) -> tonic::Code {
        match self {
            ErrorCode::InvalidArgument => tonic::Code::InvalidArgument,
            ErrorCode::MalformedBody => tonic::Code::InvalidArgument,
            ErrorCode::Unauthenticated => tonic::Code::Unauthenticated,
            ErrorCode::InvalidCredentials => tonic::Code::Unauthenticated,
            ErrorCode::TokenExpired => tonic::Code::Unauthenticated,
            ErrorCode::PermissionDenied => tonic::Code::PermissionDenied,
            ErrorCode::NotFound => tonic::Code::NotFound,
            ErrorCode::AlreadyExists => tonic::Code::AlreadyExists,
            ErrorCode::Conflict => tonic::Code::Aborted,
            ErrorCode::TooLarge => tonic::Code::ResourceExhausted,
            ErrorCode::UnsupportedFormat => tonic::Code::InvalidArgument,
            ErrorCode::Encrypted => tonic::Code::FailedPrecondition,
            ErrorCode::Corrupt => tonic::Code::DataLoss,
            ErrorCode::Timeout => tonic::Code::DeadlineExceeded,
            ErrorCode::RateLimited => tonic::Code::ResourceExhausted,
            ErrorCode::Unimplemented => tonic::Code::Unimplemented,
            ErrorCode::MethodNotAllowed => tonic::Code::Unimplemented,
            ErrorCode::Unavailable => tonic::Code::Unavailable,
            ErrorCode::Cancelled => tonic::Code::Cancelled,
            ErrorCode::Internal => tonic::Code::Internal,
        }
    }

    /// The HTTP status for this error.
    pub fn http_status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            ErrorCode::InvalidArgument => S::BAD_REQUEST,
            ErrorCode::MalformedBody => S::BAD_REQUEST,
            ErrorCode::Unauthenticated => S::UNAUTHORIZED,
            ErrorCode::InvalidCredentials => S::UNAUTHORIZED,
            ErrorCode::TokenExpired => S::UNAUTHORIZED,
            ErrorCode::PermissionDenied => S::FORBIDDEN,
            ErrorCode::NotFound => S::NOT_FOUND,
            ErrorCode::AlreadyExists => S::CONFLICT,
            ErrorCode::Conflict => S::CONFLICT,
            ErrorCode::TooLarge => S::PAYLOAD_TOO_LARGE,
            ErrorCode::UnsupportedFormat => S::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::Encrypted => S::UNPROCESSABLE_ENTITY,
            ErrorCode::Corrupt => S::UNPROCESSABLE_ENTITY,
            ErrorCode::Timeout => S::GATEWAY_TIMEOUT,
            ErrorCode::RateLimited => S::TOO_MANY_REQUESTS,
            ErrorCode::Unimplemented => S::NOT_IMPLEMENTED,
            ErrorCode::MethodNotAllowed => S::METHOD_NOT_ALLOWED,
            ErrorCode::Unavailable => S::SERVICE_UNAVAILABLE,
            ErrorCode::Cancelled => S::from_u16(499).unwrap_or(S::BAD_REQUEST),
            ErrorCode::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// The code a peer means by a bare gRPC status without our metadata.
    pub fn from_grpc_code(code: tonic::Code) -> ErrorCode {
        match code {
            tonic::Code::Ok | tonic::Code::Unknown | tonic::Code::Internal => ErrorCode::Internal,
            tonic::Code::Cancelled => ErrorCode::Cancelled,
            tonic::Code::InvalidArgument | tonic::Code::OutOfRange => ErrorCode::InvalidArgument,
            tonic::Code::DeadlineExceeded => ErrorCode::Timeout,
            tonic::Code::NotFound => ErrorCode::NotFound,
            tonic::Code::AlreadyExists => ErrorCode::AlreadyExists,
            tonic::Code::PermissionDenied => ErrorCode::PermissionDenied,
            tonic::Code::ResourceExhausted => ErrorCode::TooLarge,
            tonic::Code::FailedPrecondition | tonic::Code::Aborted => ErrorCode::Conflict,
            tonic::Code::Unimplemented => ErrorCode::Unimplemented,
            tonic::Code::Unavailable => ErrorCode::Unavailable,
            tonic::Code::DataLoss => ErrorCode::Corrupt,
            tonic::Code::Unauthenticated => ErrorCode::Unauthenticated,
        }
    }

    /// Builds a `tonic::Status` carrying this code in its metadata.
    pub fn status(self, message: impl Into<String>) -> tonic::Status {
        let mut status = tonic::Status::new(self.grpc_code(), message);
        if let Ok(value) = self.as_str().parse() {
            status.metadata_mut().insert(ERROR_CODE_METADATA_KEY, value);
        }
        status
    }
}

impl ErrorCode {
    /// Like [`ErrorCode::status`], with the time to wait before retrying.
    pub fn status_retry_after(self, message: impl Into<String>, seconds: u64) -> tonic::Status {
        let mut status = self.status(message);
        if let Ok(value) = seconds.max(1).to_string().parse() {
            status.metadata_mut().insert(RETRY_AFTER_METADATA_KEY, value);
        }
        status
    }
}

/// The seconds to wait that a `tonic::Status` carries, if any.
pub fn retry_after_of(status: &tonic::Status) -> Option<u64> {
    status.metadata().get(RETRY_AFTER_METADATA_KEY).and_then(|v| v.to_str().ok()).and_then(|s| s.parse().ok())
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown error code `{0}`")]
pub struct UnknownErrorCode(pub String);

impl FromStr for ErrorCode {
    type Err = UnknownErrorCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s).ok_or_else(|| UnknownErrorCode(s.to_owned()))
    }
}

/// The [`ErrorCode`] a `tonic::Status` carries: our metadata when present,
/// otherwise derived from the gRPC code.
pub fn status_code_of(status: &tonic::Status) -> ErrorCode {
    status
        .metadata()
        .get(ERROR_CODE_METADATA_KEY)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| ErrorCode::from_grpc_code(status.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_through_its_name_json_and_a_status() {
        for code in ErrorCode::ALL {
            assert_eq!(code.as_str().parse::<ErrorCode>().ok(), Some(code));
            let status = code.status("boom");
            assert_eq!(status_code_of(&status), code);
            assert_eq!(status.code(), code.grpc_code());
            let json = serde_json::to_string(&code).expect("serialises");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn a_bare_status_maps_to_a_sensible_code() {
        let status = tonic::Status::unavailable("peer gone");
        assert_eq!(status_code_of(&status), ErrorCode::Unavailable);
        assert_eq!(ErrorCode::TooLarge.http_status().as_u16(), 413);
        assert_eq!(ErrorCode::RateLimited.http_status().as_u16(), 429);
        assert_eq!(ErrorCode::InvalidCredentials.http_status().as_u16(), 401);
        assert_eq!(ErrorCode::TokenExpired.http_status().as_u16(), 401);
        assert_eq!(ErrorCode::MethodNotAllowed.http_status().as_u16(), 405);
        assert_eq!(retry_after_of(&ErrorCode::RateLimited.status_retry_after("slow down", 7)), Some(7));
        assert_eq!(retry_after_of(&ErrorCode::RateLimited.status("slow down")), None);
    }
}
