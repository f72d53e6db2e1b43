//! REST routes, one module per resource.

pub mod categories;
pub mod documents;
pub mod health;
pub mod jobs;
pub mod search;
pub mod system;

use crate::state::AppState;
use actix_web::HttpRequest;
use aidoc_common::client::TracedChannel;
use aidoc_proto::api::v1 as api;
use aidoc_proto::api::v1::catalog_service_client::CatalogServiceClient;
use aidoc_proto::indexer::v1::indexer_service_client::IndexerServiceClient;

pub fn catalog(state: &AppState) -> CatalogServiceClient<TracedChannel> {
    CatalogServiceClient::new(state.backends.api.clone())
}

pub fn indexer(state: &AppState) -> IndexerServiceClient<TracedChannel> {
    IndexerServiceClient::new(state.backends.indexer.clone())
}

/// Who is calling, for the audit log.
pub fn actor(req: &HttpRequest) -> api::Actor {
    let info = req.connection_info();
    api::Actor {
        user_id: String::new(),
        api_key_id: String::new(),
        ip: info.realip_remote_addr().unwrap_or("").to_owned(),
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
