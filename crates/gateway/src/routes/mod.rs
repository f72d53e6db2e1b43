//! REST routes, one module per resource.

pub mod audit;
pub mod auth;
pub mod categories;
pub mod documents;
pub mod health;
pub mod jobs;
pub mod keys;
pub mod monitor;
pub mod search;
pub mod system;
pub mod users;

use crate::state::AppState;
use actix_web::HttpRequest;
use actix_web::web;
use aidoc_common::client::TracedChannel;
use aidoc_proto::api::v1 as api;
use aidoc_proto::api::v1::catalog_service_client::CatalogServiceClient;
use aidoc_proto::api::v1::identity_service_client::IdentityServiceClient;
use aidoc_proto::indexer::v1::indexer_service_client::IndexerServiceClient;

/// Every REST route, the health routes and the OpenAPI document with its
/// UI. Each route here is in the OpenAPI document (a test checks).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(health::configure)
        .configure(crate::openapi::configure)
        .configure(auth::configure)
        .configure(users::configure)
        .configure(keys::configure)
        .configure(audit::configure)
        .configure(system::configure)
        .configure(monitor::configure)
        .configure(documents::configure)
        .configure(search::configure)
        .configure(categories::configure)
        .configure(jobs::configure);
}

pub fn catalog(state: &AppState) -> CatalogServiceClient<TracedChannel> {
    CatalogServiceClient::new(state.backends.api.clone())
}

pub fn indexer(state: &AppState) -> IndexerServiceClient<TracedChannel> {
    IndexerServiceClient::new(state.backends.indexer.clone())
}

/// Where a call comes from (client address, user agent), before or
/// without knowing who makes it; `Principal::actor` adds the who.
pub fn anonymous_actor(req: &HttpRequest) -> api::Actor {
    let ip = match req.app_data::<actix_web::web::Data<AppState>>() {
        Some(state) => state.auth.proxies.client_ip(req),
        None => req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
    };
    api::Actor {
        user_id: String::new(),
        api_key_id: String::new(),
        ip,
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(512)
            .collect(),
    }
}

pub fn identity(state: &AppState) -> IdentityServiceClient<TracedChannel> {
    IdentityServiceClient::new(state.backends.api.clone())
}
