//! `405 Method Not Allowed` in the API's one error body, with the `Allow`
//! header naming the methods the path does answer (as the OpenAPI document
//! lists them). actix answers a known path's unknown method with an empty
//! `405`; this middleware gives it the same shape as every other error.

use crate::error::ApiError;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};
use aidoc_proto::ErrorCode;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Path pattern (as actix and the OpenAPI document write it) → its methods,
/// upper case, in a stable order.
fn methods_by_pattern() -> &'static HashMap<String, Vec<String>> {
    static MAP: OnceLock<HashMap<String, Vec<String>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let doc: serde_json::Value = serde_json::from_str(&crate::openapi::document_json()).unwrap_or_default();
        let mut map = HashMap::new();
        if let Some(paths) = doc["paths"].as_object() {
            for (path, ops) in paths {
                let mut methods: Vec<String> =
                    ops.as_object().map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect()).unwrap_or_default();
                methods.sort();
                map.insert(path.clone(), methods);
            }
        }
        map
    })
}

/// What `Allow` says for a path pattern; `None` when the document does not know it.
pub fn allowed(pattern: &str) -> Option<String> {
    methods_by_pattern().get(pattern).map(|m| m.join(", "))
}

/// The JSON error answer for `method` on `path`.
pub fn refusal(method: &Method, path: &str, allow: Option<&str>) -> HttpResponse {
    let mut res =
        ApiError::new(ErrorCode::MethodNotAllowed, format!("{path} does not answer {method}")).error_response();
    if let Some(v) = allow.and_then(|a| HeaderValue::from_str(a).ok()) {
        res.headers_mut().insert(header::ALLOW, v);
    }
    res
}

/// Replaces actix's empty `405` with the error body; a `405` a handler
/// answered itself (already JSON) passes through.
pub async fn json_405(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, actix_web::Error> {
    let res = next.call(req).await?;
    let plain = res.status() == StatusCode::METHOD_NOT_ALLOWED
        && !res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
    if !plain {
        return Ok(res.map_body(|_, b| EitherBody::left(b.boxed())));
    }
    let (req, old) = res.into_parts();
    let allow = req
        .match_pattern()
        .and_then(|p| allowed(&p))
        .or_else(|| old.headers().get(header::ALLOW).and_then(|v| v.to_str().ok()).map(str::to_owned));
    let new = refusal(req.method(), req.path(), allow.as_deref());
    Ok(ServiceResponse::new(req, new).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_the_documented_methods_of_a_pattern() {
        assert_eq!(allowed("/api/v1/documents/{id}").as_deref(), Some("DELETE, GET, PATCH"));
        assert_eq!(allowed("/api/v1/auth/login").as_deref(), Some("POST"));
        assert_eq!(allowed("/api/v1/nowhere"), None);
    }
}
