//! What every operation of a kind has in common: its security
//! requirements and the error answers the gateway gives before or around
//! the handler (credentials, rate limits, bodies, backends).

use crate::auth::middleware::PUBLIC;
use utoipa::Modify;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Access token from `POST /api/v1/auth/login`.
pub const BEARER_TOKEN: &str = "bearer_token";
/// An API key as a bearer token.
pub const BEARER_KEY: &str = "bearer_api_key";
/// An API key in `X-API-Key`.
pub const HEADER_KEY: &str = "api_key";

/// The shared error answers: (component name, status, description).
const ERRORS: [(&str, &str, &str); 10] = [
    ("BadRequest", "400", "A parameter or the body is invalid (`invalid_argument`, `malformed_body`)."),
    ("Unauthorized", "401", "No valid credentials (`unauthenticated`, `token_expired`, `invalid_credentials`)."),
    ("Forbidden", "403", "The credentials do not allow this (`permission_denied`)."),
    ("NotFound", "404", "No such resource (`not_found`)."),
    ("PayloadTooLarge", "413", "The body is larger than the configured limit (`too_large`)."),
    ("TooManyRequests", "429", "Rate limited (`rate_limited`); `Retry-After` says when to try again."),
    ("InternalError", "500", "An unexpected failure (`internal`); details are in the server log."),
    ("NotImplemented", "501", "Not available in this deployment (`unimplemented`)."),
    ("Unavailable", "503", "A backend service is unavailable (`unavailable`); try again shortly."),
    ("Timeout", "504", "A backend service did not answer in time (`timeout`)."),
];

pub struct Conventions;

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Paths reachable without credentials.
pub fn is_public(path: &str) -> bool {
    PUBLIC.contains(&path) || !path.starts_with("/api/v1/")
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.security_schemes.insert(
            BEARER_TOKEN.into(),
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("An access token from `POST /api/v1/auth/login` or `/api/v1/auth/refresh`."))
                    .build(),
            ),
        );
        components.security_schemes.insert(
            BEARER_KEY.into(),
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("aidoc API key")
                    .description(Some("An API key (`aidoc_…`) as the bearer token."))
                    .build(),
            ),
        );
        components.security_schemes.insert(
            HEADER_KEY.into(),
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                "An API key (`aidoc_…`), created with `POST /api/v1/keys`.",
            ))),
        );
        for (name, status, description) in ERRORS {
            let mut response = ResponseBuilder::new().description(description).content(
                "application/json",
                ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
            );
            if status == "429" {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(utoipa::openapi::schema::Object::with_type(utoipa::openapi::Type::Integer))
                        .description(Some("Seconds to wait."))
                        .build(),
                );
            }
            components.responses.insert(name.into(), RefOr::T(response.build()));
        }

        let any = vec![
            SecurityRequirement::new(BEARER_TOKEN, Vec::<String>::new()),
            SecurityRequirement::new(BEARER_KEY, Vec::<String>::new()),
            SecurityRequirement::new(HEADER_KEY, Vec::<String>::new()),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            let public = is_public(path);
            let has_path_params = path.contains('{');
            for op in operations(item) {
                if public {
                    // An empty requirement list: no credentials.
                    op.security.get_or_insert_with(Vec::new);
                } else if op.security.is_none() {
                    op.security = Some(any.clone());
                }
                let secured = !public;
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty()) || has_path_params;
                let has_body = op.request_body.is_some();
                let api = path.starts_with("/api/v1/");
                let wanted = ERRORS.iter().filter(|(_, status, _)| match *status {
                    "400" => api && (has_params || has_body),
                    "401" | "403" => secured,
                    "404" => has_path_params,
                    "413" => has_body,
                    "429" => api,
                    "500" | "503" | "504" => api,
                    _ => false,
                });
                for (name, status, _) in wanted {
                    op.responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
                }
            }
        }
        unique_operation_ids(openapi);
    }
}

/// Operation ids must be unique in the document (clients generated from it
/// name their calls by them). Handlers are named by what they do within
/// their module (`list`, `create`, …), so an id that more than one operation
/// has becomes `<tag>_<id>` (`users_list`).
fn unique_operation_ids(openapi: &mut OpenApi) {
    let mut counts = std::collections::HashMap::<String, usize>::new();
    for item in openapi.paths.paths.values_mut() {
        for op in operations(item) {
            if let Some(id) = &op.operation_id {
                *counts.entry(id.clone()).or_default() += 1;
            }
        }
    }
    for item in openapi.paths.paths.values_mut() {
        for op in operations(item) {
            let Some(id) = op.operation_id.as_deref() else { continue };
            if counts.get(id).copied().unwrap_or(0) > 1 {
                let tag = op.tags.as_ref().and_then(|t| t.first()).map(String::as_str).unwrap_or("api");
                op.operation_id = Some(format!("{tag}_{id}"));
            }
        }
    }
}
