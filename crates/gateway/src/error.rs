//! The one JSON error body of the REST API:
//! `{"code":"not_found","message":"…","request_id":"…"}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use aidoc_proto::ErrorCode;
use serde::Serialize;
use std::fmt;

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    #[schema(value_type = crate::openapi::ErrorCodeName)]
    pub code: ErrorCode,
    /// For people; may change between versions.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds for `Retry-After` (rate limits, locked accounts).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), retry_after: None }
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let code = aidoc_proto::status_code_of(&status);
        match code {
            // Internal details stay in the log; the caller gets a generic message.
            ErrorCode::Internal => {
                tracing::error!(grpc_code = ?status.code(), message = %status.message(), "downstream internal error");
                ApiError::new(code, "internal error")
            }
            // A bare `Cancelled` is the transport's: the connection to the backend broke mid-call (its process
            // died). The caller did not cancel anything (a caller who leaves gets no answer at all), so it is
            // told what happened: the backend is unavailable.
            ErrorCode::Unavailable | ErrorCode::Cancelled
                if !status.metadata().contains_key(aidoc_proto::error::ERROR_CODE_METADATA_KEY) =>
            {
                tracing::warn!(grpc_code = ?status.code(), message = %status.message(), "downstream unavailable");
                ApiError::new(ErrorCode::Unavailable, "a backend service is unavailable; try again shortly")
            }
            _ => {
                let e = ApiError::new(code, status.message());
                match aidoc_proto::retry_after_of(&status) {
                    Some(s) => e.retry_after(s),
                    None => e,
                }
            }
        }
    }
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    StatusCode::from_u16(code.http_status().as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code)
    }

    fn error_response(&self) -> HttpResponse {
        let body = ErrorBody { code: self.code, message: self.message.clone(), request_id: None };
        let mut res = HttpResponse::build(self.status_code());
        if let Some(s) = self.retry_after {
            res.insert_header((actix_web::http::header::RETRY_AFTER, s.to_string()));
        }
        if self.status_code() == StatusCode::UNAUTHORIZED {
            let error = if self.code == ErrorCode::TokenExpired { ", error=\"invalid_token\"" } else { "" };
            res.insert_header((actix_web::http::header::WWW_AUTHENTICATE, format!("Bearer realm=\"aidoc\"{error}")));
        }
        res.json(body)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_backend_connection_is_unavailable_not_cancelled() {
        for code in [tonic::Code::Cancelled, tonic::Code::Unavailable] {
            let e = ApiError::from(tonic::Status::new(code, "connection closed"));
            assert_eq!((e.code, e.status_code().as_u16()), (ErrorCode::Unavailable, 503), "{code:?}");
        }
        // A backend that says so itself keeps its code.
        let e = ApiError::from(ErrorCode::Cancelled.status("the job was cancelled"));
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::Cancelled, "the job was cancelled"));
    }
}
