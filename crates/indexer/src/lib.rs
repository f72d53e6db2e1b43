//! # aidoc-indexer
//!
//! Claims ingest jobs from the api, streams each blob to the parser, chunks
//! the structured result, embeds the chunks and replaces the document's
//! chunks in one transaction; serves keyword, semantic and hybrid search. It
//! owns the PostgreSQL schema `search`.

pub mod config;
pub mod migrations;
mod pending;

use aidoc_common::client::add_peer_check;
use aidoc_common::main_support::BoxError;
use aidoc_common::{Runtime, Settings, Shutdown};
use aidoc_proto::indexer::v1::indexer_service_server::IndexerServiceServer;
use config::IndexerConfig;
use futures::FutureExt;

pub const SERVICE_NAMES: [&str; 1] = ["aidoc.indexer.v1.IndexerService"];

pub async fn run(settings: Settings<IndexerConfig>, shutdown: Shutdown) -> Result<(), BoxError> {
    let cfg = &settings.service;
    let runtime = Runtime::start("indexer", aidoc_common::VERSION, &settings.base, shutdown).await?;
    let pool = aidoc_common::db::pool(&cfg.database.url, &cfg.database, "aidoc-indexer")?;
    {
        let pool = pool.clone();
        runtime.health.add_check("database", move || {
            let pool = pool.clone();
            async move { aidoc_common::db::ping(&pool).await }.boxed()
        });
    }
    add_peer_check(&runtime.health, "api", &cfg.api_url)?;
    add_peer_check(&runtime.health, "parser", &cfg.parser_url)?;

    let mut routes = tonic::service::Routes::builder();
    routes.add_service(IndexerServiceServer::new(pending::Indexer));
    let listener = runtime.bind_main().await?;
    runtime.serve_grpc(listener, routes.routes(), &SERVICE_NAMES).await?;

    pool.close();
    runtime.finish().await;
    Ok(())
}

pub async fn migrate(settings: &Settings<IndexerConfig>) -> Result<Vec<i64>, BoxError> {
    let db = &settings.service.database;
    let mut client = aidoc_common::db::connect(&db.url, db.connect_timeout).await?;
    Ok(aidoc_common::db::migrate(&mut client, "search", migrations::MIGRATIONS).await?)
}
