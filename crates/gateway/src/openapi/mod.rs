//! The OpenAPI 3.1 document of the REST API, generated from the handlers'
//! annotations, served at `GET /api/openapi.json` with a browsable UI at
//! `/api/docs/` (assets built into the binary; nothing is fetched).
//!
//! The committed copy is `docs/openapi.json`; a test fails when the code's
//! document differs from it. Regenerate with `just openapi`
//! (`cargo run -p aidoc-gateway -- openapi > docs/openapi.json`).
//!
//! Handlers declare their own answers; [`Conventions`] adds the answers every
//! operation of a kind can give (credentials, limits, backends), so that
//! every status the gateway sends is in the document.

mod conventions;

use crate::error::ErrorBody;
use crate::routes;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use aidoc_proto::ErrorCode;
use std::borrow::Cow;
use std::sync::OnceLock;
use utoipa::openapi::schema::{Object, SchemaType, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{OpenApi, PartialSchema, ToSchema};

pub use conventions::Conventions;

/// Where the document is served.
pub const SPEC_PATH: &str = "/api/openapi.json";
/// Where the UI is served (with a trailing slash).
pub const DOCS_PATH: &str = "/api/docs/";

/// The error codes of the `code` field (`ErrorCode::ALL`).
pub struct ErrorCodeName;

impl PartialSchema for ErrorCodeName {
    fn schema() -> RefOr<Schema> {
        let mut o = Object::with_type(SchemaType::Type(Type::String));
        o.enum_values = Some(ErrorCode::ALL.iter().map(|c| serde_json::Value::from(c.as_str())).collect());
        o.description = Some("A machine-readable error code; the HTTP status follows from it.".into());
        RefOr::T(Schema::Object(o))
    }
}

impl ToSchema for ErrorCodeName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "aidoc REST API",
        description = "The REST API of aidoc, a self-hosted technical-document library: upload documents, \
            search them (keyword, semantic, hybrid), read their chunks and outlines, and administer users, \
            API keys and the audit log.\n\n\
            Every operation under `/api/v1` except sign-in and refresh needs credentials: an access token \
            from `POST /api/v1/auth/login` (`Authorization: Bearer <token>`), or an API key \
            (`X-API-Key: <key>` or `Authorization: Bearer <key>`). Administration and account operations \
            need a signed-in user, not a key.\n\n\
            Every error has the same JSON body: `{\"code\": \"not_found\", \"message\": \"…\"}`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        routes::health::health,
        routes::health::live,
        routes::health::ready,
        serve_spec,
        routes::auth::login,
        routes::auth::refresh,
        routes::auth::logout,
        routes::auth::me,
        routes::auth::update_me,
        routes::documents::upload,
        routes::documents::list,
        routes::documents::get,
        routes::documents::update,
        routes::documents::delete,
        routes::documents::download,
        routes::documents::reindex,
        routes::documents::versions,
        routes::documents::chunks,
        routes::documents::outline,
        routes::search::search_get,
        routes::search::search_post,
        routes::search::chunk,
        routes::categories::list,
        routes::categories::create,
        routes::categories::update,
        routes::categories::delete,
        routes::categories::tags,
        routes::users::list,
        routes::users::create,
        routes::users::get,
        routes::users::update,
        routes::keys::list,
        routes::keys::create,
        routes::keys::revoke,
        routes::audit::list,
        routes::jobs::list,
        routes::jobs::stats,
        routes::system::status,
        routes::monitor::traffic,
        routes::monitor::ingest,
        routes::monitor::usage,
        routes::monitor::services,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    tags(
        (name = "health", description = "Liveness and readiness (no credentials)."),
        (name = "meta", description = "This document (no credentials)."),
        (name = "auth", description = "Sign in, refresh, sign out, and the caller's own account."),
        (name = "documents", description = "Upload, list, read, edit, download, delete and re-index documents."),
        (name = "search", description = "Keyword, semantic and hybrid search over chunks; single chunks."),
        (name = "categories", description = "Categories and tags."),
        (name = "users", description = "User administration (admins, signed in)."),
        (name = "keys", description = "API keys: each user manages their own; admins see everyone's."),
        (name = "audit", description = "The audit log (admins, signed in)."),
        (name = "jobs", description = "The ingest queue."),
        (name = "system", description = "Backend services as seen from the gateway."),
        (name = "monitor", description = "Request, ingest and usage figures summed over every gateway, and each service's health, version and recent warnings (admins, signed in)."),
    )
)]
pub struct ApiDoc;

/// The document, pretty-printed with sorted keys: what `docs/openapi.json` holds.
pub fn document_json() -> String {
    let value = serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serialises");
    let mut s = serde_json::to_string_pretty(&value).expect("the OpenAPI document serialises");
    s.push('\n');
    s
}

fn served() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(document_json)
}

/// This OpenAPI 3.1 document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    operation_id = "openapi",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", content_type = "application/json", body = Object)),
)]
pub async fn serve_spec() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .content_type("application/json")
        .body(served())
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, DOCS_PATH)).finish()
}

/// `GET /api/openapi.json`, and the UI under `/api/docs/`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(SPEC_PATH, web::get().to(serve_spec)).route("/api/docs", web::get().to(docs_redirect)).service(
        utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
            .config(utoipa_swagger_ui::Config::new([SPEC_PATH]).try_it_out_enabled(true)),
    );
}

/// Content-Security-Policy for the UI pages: their own scripts and styles
/// (the UI sets inline styles and data: images), calls to this origin only.
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

#[cfg(test)]
mod tests;
