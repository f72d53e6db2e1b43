//! The web UI: the built single-page app (`AIDOC_GATEWAY__WEB_DIR`) at `/`.
//!
//! Files under the folder are served as they are; any other GET of a path
//! outside the API answers `index.html` so that the app's own routes survive
//! a reload. Hashed assets (`/assets/…`) are cached for a year, `index.html`
//! never. Paths of the API, MCP, health and metrics keep their JSON 404.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, web};
use aidoc_proto::ErrorCode;
use std::path::{Component, Path, PathBuf};

/// Prefixes that never fall back to the UI.
const NOT_UI: [&str; 5] = ["/api", "/mcp", "/health", "/metrics", "/openapi"];

/// Whether `path` belongs to the web UI (and so gets the UI's CSP).
pub fn is_ui_path(path: &str) -> bool {
    !NOT_UI.iter().any(|p| path == *p || path.strip_prefix(p).is_some_and(|rest| rest.starts_with('/')))
}

const HOW_TO_BUILD: &str = "The aidoc web UI is not built.\n\n\
Build it once with:  cd web && npm ci && npm run build\n\
then point the gateway at the folder: AIDOC_GATEWAY__WEB_DIR=<repo>/web/dist\n\
(`aidoc up` does both when npm is installed). The REST API at /api/v1 works without it.\n";

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `root` that `path` names, refusing anything that leaves it.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let rel = Path::new(path.trim_start_matches('/'));
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    Some(root.join(rel))
}

async fn file(path: &Path, cache: &'static str) -> Option<HttpResponse> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    if !meta.is_file() {
        return None;
    }
    let body = tokio::fs::read(path).await.ok()?;
    Some(
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type(path)))
            .insert_header((header::CACHE_CONTROL, cache))
            .body(body),
    )
}

/// The default service: the UI for GET/HEAD outside the API, a JSON 404 otherwise.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("no route for {} {}", req.method(), path));
    if !is_ui_path(path) || !(req.method() == Method::GET || req.method() == Method::HEAD) {
        return Err(not_found());
    }
    // Without a UI only `/` answers (with how to build it); other paths stay 404.
    let without_ui = || if path == "/" { Ok(not_built()) } else { Err(not_found()) };
    let Some(root) = state.config.gateway.web_dir.as_deref().filter(|d| !d.is_empty()).map(Path::new) else {
        return without_ui();
    };
    if path != "/"
        && let Some(p) = resolve(root, path)
    {
        let cache = if path.starts_with("/assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
        if let Some(resp) = file(&p, cache).await {
            return Ok(resp);
        }
        // A missing hashed asset is an error, not the app.
        if path.starts_with("/assets/") {
            return Err(not_found());
        }
    }
    match file(&root.join("index.html"), "no-cache").await {
        Some(resp) => Ok(resp),
        None => without_ui(),
    }
}

fn not_built() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(HOW_TO_BUILD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_paths_exclude_the_api_and_operations() {
        for p in ["/", "/library", "/documents/x", "/assets/index-abc.js", "/apiary", "/healthy"] {
            assert!(is_ui_path(p), "{p}");
        }
        for p in ["/api", "/api/v1/nope", "/mcp", "/health/live", "/metrics", "/openapi/x"] {
            assert!(!is_ui_path(p), "{p}");
        }
    }

    #[test]
    fn paths_never_leave_the_folder() {
        let root = Path::new("/srv/web");
        assert_eq!(resolve(root, "/assets/a.js"), Some(PathBuf::from("/srv/web/assets/a.js")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/assets/../../x"), None);
    }
}
