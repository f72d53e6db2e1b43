//! CORS (`AIDOC_GATEWAY__CORS_ORIGINS`) and the security headers
//! (`AIDOC_SECURITY_HEADERS__*`) on every response; the web UI's pages get
//! their own Content-Security-Policy (`…__WEB_CONTENT_SECURITY_POLICY`).
//!
//! Credentials travel in headers (`Authorization`, `X-API-Key`); the one
//! cookie, the web UI's refresh token, is `SameSite=Strict` and same-origin
//! only, so CORS never allows credentials; an origin not on the list gets
//! no CORS headers (the browser then blocks the response) and its preflight
//! is refused.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError, web};
use aidoc_proto::ErrorCode;

const ALLOW_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOW_HEADERS: &str = "authorization, content-type, x-api-key, x-request-id, traceparent, tracestate";
const EXPOSE_HEADERS: &str = "retry-after, x-request-id, www-authenticate, content-disposition, etag";
const PREFLIGHT_MAX_AGE: &str = "600";

/// The `Access-Control-Allow-Origin` value for `origin`, if it is allowed.
pub fn allowed_origin(allowed: &[String], origin: &str) -> Option<String> {
    if allowed.iter().any(|o| o == "*") {
        return Some("*".into());
    }
    allowed.iter().any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin)).then(|| origin.to_owned())
}

pub async fn cors_and_security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let ui = crate::ui::is_ui_path(req.path());
    let docs_page = req.path().starts_with(crate::openapi::DOCS_PATH);
    let origin = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allow = origin.as_deref().and_then(|o| allowed_origin(&state.config.gateway.cors_origins, o));
    let preflight = req.method() == Method::OPTIONS
        && origin.is_some()
        && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    let mut res = if preflight {
        let response = match &allow {
            Some(_) => HttpResponse::build(StatusCode::NO_CONTENT)
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE))
                .finish(),
            None => ApiError::new(ErrorCode::PermissionDenied, "this origin may not call the API").error_response(),
        };
        req.into_response(response).map_into_right_body()
    } else {
        next.call(req).await?.map_into_left_body()
    };

    let h = res.headers_mut();
    if let Some(value) = allow.and_then(|a| HeaderValue::from_str(&a).ok()) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static(EXPOSE_HEADERS));
    }
    if origin.is_some() {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
    let sh = &state.config.security_headers;
    if sh.enabled {
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        // The API's UI runs its own scripts and styles: a policy of its own
        // (only where a policy is configured at all).
        let docs_csp = crate::openapi::DOCS_CSP.to_owned();
        let csp = if docs_page && !sh.content_security_policy.is_empty() {
            &docs_csp
        } else if ui {
            &sh.web_content_security_policy
        } else {
            &sh.content_security_policy
        };
        for (name, value) in [
            (header::CONTENT_SECURITY_POLICY, csp),
            (header::X_FRAME_OPTIONS, &sh.frame_options),
            (header::REFERRER_POLICY, &sh.referrer_policy),
        ] {
            if let (false, Ok(v)) = (value.is_empty(), HeaderValue::from_str(value)) {
                h.insert(name, v);
            }
        }
        if sh.hsts_max_age > 0
            && let Ok(v) = HeaderValue::from_str(&format!("max-age={}; includeSubDomains", sh.hsts_max_age))
        {
            h.insert(header::STRICT_TRANSPORT_SECURITY, v);
        }
        h.insert(HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin"));
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let list = vec!["https://docs.example.com".to_owned(), "http://localhost:5173/".to_owned()];
        assert_eq!(allowed_origin(&list, "https://docs.example.com").as_deref(), Some("https://docs.example.com"));
        assert_eq!(allowed_origin(&list, "http://localhost:5173").as_deref(), Some("http://localhost:5173"));
        assert_eq!(allowed_origin(&list, "https://evil.example"), None);
        assert_eq!(allowed_origin(&[], "https://docs.example.com"), None);
        assert_eq!(allowed_origin(&["*".to_owned()], "https://any.example").as_deref(), Some("*"));
    }
}
