//! The one JSON error body of the REST API:
//! `{"code":"not_found","message":"…","request_id":"…"}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use aidoc_proto::ErrorCode;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Serialize)]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into() }
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
            ErrorCode::Unavailable if !status.metadata().contains_key(aidoc_proto::error::ERROR_CODE_METADATA_KEY) => {
                tracing::warn!(message = %status.message(), "downstream unavailable");
                ApiError::new(code, "a backend service is unavailable; try again shortly")
            }
            _ => ApiError::new(code, status.message()),
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
        HttpResponse::build(self.status_code()).json(body)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
