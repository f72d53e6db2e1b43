use super::*;
use actix_web::http::{Method, StatusCode};
use actix_web::test as atest;
use actix_web::{App, HttpRequest};
use std::collections::BTreeSet;
use std::path::PathBuf;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

fn document() -> serde_json::Value {
    serde_json::from_str(&document_json()).expect("the document is JSON")
}

/// `docs/openapi.json` is what the code generates. `AIDOC_UPDATE_OPENAPI=1`
/// rewrites it instead of failing.
#[test]
fn committed_document_matches_the_code() {
    let generated = document_json();
    let path = committed_path();
    if std::env::var_os("AIDOC_UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write docs/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json differs from the OpenAPI document the code generates.\n\
         Regenerate it with `just openapi` (or `cargo run -p aidoc-gateway -- openapi > docs/openapi.json`, \
         or `AIDOC_UPDATE_OPENAPI=1 cargo test -p aidoc-gateway --lib openapi`) and commit it."
    );
}

#[test]
fn the_document_is_openapi_3_1_with_the_security_schemes() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer_token"]["scheme"], "bearer");
    assert_eq!(schemes["bearer_token"]["bearerFormat"], "JWT");
    assert_eq!(schemes["bearer_api_key"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"].as_array().expect("error codes").len();
    assert_eq!(codes, ErrorCode::ALL.len());
}

/// Every operation has an id, and no two share one (generated clients name
/// their calls by it).
#[test]
fn operation_ids_are_unique() {
    let doc = document();
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(ids.insert(id.to_owned()), "operationId {id} of {method} {path} is used twice");
        }
    }
    assert!(ids.contains("users_list") && ids.contains("documents_get"), "{ids:?}");
}

/// Every operation under `/api/v1` states its credentials and its error
/// answers; public ones need none.
#[test]
fn operations_carry_security_and_error_answers() {
    let doc = document();
    let paths = doc["paths"].as_object().expect("paths");
    let mut seen = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            seen += 1;
            let security = op["security"].as_array().expect("security is explicit on every operation");
            let responses = op["responses"].as_object().expect("responses");
            let public = security.is_empty() || security.iter().all(|s| s.as_object().is_some_and(|o| o.is_empty()));
            let expect_public = path.starts_with("/health")
                || path == SPEC_PATH
                || path == "/api/v1/auth/login"
                || path == "/api/v1/auth/refresh";
            assert_eq!(public, expect_public, "{method} {path}: security {security:?}");
            if !public {
                for status in ["401", "403", "429", "500", "503"] {
                    assert!(responses.contains_key(status), "{method} {path} lacks {status}");
                }
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path} lacks 404");
            }
            if op.get("requestBody").is_some() {
                assert!(responses.contains_key("400") && responses.contains_key("413"), "{method} {path}");
            }
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{method} {path} has no tag");
        }
    }
    assert!(seen >= 38, "only {seen} operations");
    // Admin and account operations accept only a signed-in user.
    for (method, path) in
        [("get", "/api/v1/users"), ("get", "/api/v1/audit"), ("post", "/api/v1/keys"), ("post", "/api/v1/auth/logout")]
    {
        assert_eq!(doc["paths"][path][method]["security"], serde_json::json!([{ "bearer_token": [] }]), "{path}");
    }
}

/// The resource patterns registered in the app, from its resource map.
async fn registered_patterns() -> BTreeSet<String> {
    async fn dump(req: HttpRequest) -> HttpResponse {
        HttpResponse::Ok().body(format!("{:?}", req.resource_map()))
    }
    let app =
        atest::init_service(App::new().configure(routes::configure).route("/__resource_map", web::get().to(dump)))
            .await;
    let body = atest::call_and_read_body(&app, atest::TestRequest::get().uri("/__resource_map").to_request()).await;
    let text = String::from_utf8(body.to_vec()).expect("utf-8");
    let mut patterns = BTreeSet::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("Single(\"") {
        rest = &rest[at + "Single(\"".len()..];
        let end = rest.find("\")").expect("pattern end");
        patterns.insert(rest[..end].replace("\\\"", "\""));
        rest = &rest[end..];
    }
    patterns.remove("/__resource_map");
    patterns.remove("");
    assert!(patterns.len() > 20, "could not read the resource map: {text}");
    patterns
}

/// Every route the app registers (path and method) is in the document, and
/// every operation of the document is a registered route.
#[actix_web::test]
async fn every_registered_route_is_documented() {
    let doc = document();
    let documented: BTreeSet<String> = doc["paths"].as_object().expect("paths").keys().cloned().collect();
    let registered: BTreeSet<String> = registered_patterns()
        .await
        .into_iter()
        .filter(|p| !crate::auth::middleware::is_documentation(p) || p == SPEC_PATH)
        .collect();
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(undocumented.is_empty(), "routes missing from the OpenAPI document: {undocumented:?}");
    assert!(unregistered.is_empty(), "documented paths no route serves: {unregistered:?}");

    // Methods: a registered path answers 405 exactly for the methods it does not serve.
    let app = atest::init_service(
        App::new().wrap(actix_web::middleware::from_fn(crate::method::json_405)).configure(routes::configure),
    )
    .await;
    for path in &documented {
        let uri = path.replace("{id}", "x");
        for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let resp =
                atest::call_service(&app, atest::TestRequest::default().method(method.clone()).uri(&uri).to_request())
                    .await;
            let served = resp.status() != StatusCode::METHOD_NOT_ALLOWED && resp.status() != StatusCode::NOT_FOUND;
            let in_doc = doc["paths"][path].get(method.as_str().to_lowercase()).is_some();
            assert_eq!(served, in_doc, "{method} {path}: answered {} but documented: {in_doc}", resp.status());
            if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
                // In the one error body, naming what the path does answer.
                let allow = resp.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_owned);
                assert_eq!(allow, crate::method::allowed(path), "{method} {path}: Allow");
                let body: serde_json::Value = atest::read_body_json(resp).await;
                assert_eq!(body["code"], "method_not_allowed", "{method} {path}: {body}");
            }
        }
    }
}
