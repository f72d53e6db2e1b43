//! # aidoc-indexer
//!
//! Claims ingest jobs from the api, streams each blob to the parser, chunks
//! the structured result, embeds the chunks and replaces the document's
//! chunks in one transaction; serves keyword, semantic and hybrid search. It
//! owns the PostgreSQL schema `search`.

pub mod config;
pub mod embedding;
pub mod keyword;
pub mod metrics;
pub mod migrations;
pub mod search;
pub mod store;
pub mod worker;

use aidoc_common::client::{ClientOptions, add_peer_check, channel};
use aidoc_common::main_support::BoxError;
use aidoc_common::{Runtime, Settings, Shutdown};
use aidoc_proto::api::v1 as api_pb;
use aidoc_proto::api::v1::catalog_service_client::CatalogServiceClient;
use aidoc_proto::api::v1::job_service_client::JobServiceClient;
use aidoc_proto::indexer::v1::indexer_service_server::IndexerServiceServer;
use aidoc_proto::parser::v1::parser_service_client::ParserServiceClient;
use config::IndexerConfig;
use embedding::EmbedPool;
use futures::FutureExt;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub const SERVICE_NAMES: [&str; 1] = ["aidoc.indexer.v1.IndexerService"];

/// The embedding model, loaded in the background after start; readiness
/// reports it until it is there.
pub type ModelSlot = Arc<OnceLock<Result<EmbedPool, String>>>;

pub async fn run(settings: Settings<IndexerConfig>, shutdown: Shutdown) -> Result<(), BoxError> {
    let cfg = Arc::new(settings.service.clone());
    let runtime = Runtime::start("indexer", aidoc_common::VERSION, &settings.base, shutdown).await?;
    metrics::describe();
    let pool = aidoc_common::db::pool(&cfg.database.url, &cfg.database, "aidoc-indexer")?;
    let read_pool = if cfg.database.read_url.is_empty() {
        pool.clone()
    } else {
        aidoc_common::db::pool(&cfg.database.read_url, &cfg.database, "aidoc-indexer-search")?
    };
    for (name, p) in [("database", pool.clone()), ("database_read", read_pool.clone())] {
        if name == "database_read" && cfg.database.read_url.is_empty() {
            continue;
        }
        runtime.health.add_check(name, move || {
            let p = p.clone();
            async move { aidoc_common::db::ping(&p).await }.boxed()
        });
    }
    add_peer_check(&runtime.health, "api", &cfg.api_url)?;
    add_peer_check(&runtime.health, "parser", &cfg.parser_url)?;

    let store = cfg.storage.open().await.map_err(|e| format!("object storage: {e}"))?;
    {
        let store = store.clone();
        runtime.health.add_check("storage", move || {
            let store = store.clone();
            async move { store.check().await.map_err(|e| format!("storage: {e}")) }.boxed()
        });
    }

    let model: ModelSlot = Arc::default();
    {
        let model = model.clone();
        runtime.health.add_check("embedding_model", move || {
            let state = match model.get() {
                None => Err("embedding model: loading".to_owned()),
                Some(Err(e)) => Err(format!("embedding model: {e}")),
                Some(Ok(_)) => Ok(()),
            };
            async move { state }.boxed()
        });
    }
    let loader = {
        let model = model.clone();
        let mut embed_cfg = cfg.embedding.clone();
        // a search-only indexer has no forward passes for queries to wait behind
        embed_cfg.query_session &= cfg.worker.concurrency > 0;
        let pool = pool.clone();
        tokio::spawn(async move {
            let loaded = tokio::task::spawn_blocking(move || {
                aidoc_embed::from_config(&embed_cfg).map(|m| EmbedPool::new(m, embed_cfg.batch_size))
            })
            .await;
            let result = match loaded {
                Ok(Ok(p)) => {
                    tracing::info!(model = p.model_id(), dims = p.dimensions(), "embedding model loaded");
                    match store::register_model(&pool, p.model_id(), p.dimensions()).await {
                        Ok(stale) if stale > 0 => {
                            tracing::warn!(documents = stale, "documents embedded by another model will be re-embedded")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "registering the embedding model failed"),
                    }
                    Ok(p)
                }
                Ok(Err(e)) => {
                    tracing::error!(error = %e, "the embedding model did not load");
                    Err(e.to_string())
                }
                Err(e) => Err(format!("loader crashed: {e}")),
            };
            let _ = model.set(result);
        })
    };

    let search = search::Search {
        pool: read_pool.clone(),
        model: model.clone(),
        cfg: cfg.search.clone(),
        stats: keyword::StatsCache::default(),
    };

    // Workers start once the model is there.
    let stop = runtime.drain_token();
    let workers = {
        let opts = ClientOptions { request_timeout: Duration::from_secs(30), ..ClientOptions::default() };
        let jobs = JobServiceClient::new(channel(&cfg.api_url, &opts)?);
        let catalog = CatalogServiceClient::new(channel(&cfg.api_url, &opts)?);
        let parse_opts = ClientOptions { request_timeout: cfg.worker.parse_timeout, ..ClientOptions::default() };
        let parser = ParserServiceClient::new(channel(&cfg.parser_url, &parse_opts)?)
            .max_decoding_message_size(64 * 1024 * 1024);
        let (cfg, pool, store, model, stop) = (cfg.clone(), pool.clone(), store.clone(), model.clone(), stop.clone());
        tokio::spawn(async move {
            let _ = loader.await;
            let embed = match model.get() {
                Some(Ok(p)) => p.clone(),
                _ => {
                    tracing::error!("no embedding model: ingest workers are not running");
                    return;
                }
            };
            requeue_stale(&pool, &embed, catalog).await;
            let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "indexer".into());
            let mut handles = Vec::new();
            for n in 0..cfg.worker.concurrency {
                let w = worker::Worker {
                    id: format!("{host}-{}-{n}", std::process::id()),
                    jobs: jobs.clone(),
                    parser: parser.clone(),
                    store: store.clone(),
                    pool: pool.clone(),
                    embed: embed.clone(),
                    cfg: cfg.clone(),
                };
                handles.push(tokio::spawn(w.run(stop.clone())));
            }
            for h in handles {
                let _ = h.await;
            }
        })
    };

    let mut routes = tonic::service::Routes::builder();
    routes.add_service(IndexerServiceServer::new(search));
    let listener = runtime.bind_main().await?;
    runtime.serve_grpc(listener, routes.routes(), &SERVICE_NAMES).await?;

    // serve_grpc returns after the drain: in-flight jobs were cancelled and
    // reported as retryable by then, or their leases simply expire.
    let _ = tokio::time::timeout(Duration::from_secs(5), workers).await;
    pool.close();
    read_pool.close();
    runtime.finish().await;
    Ok(())
}

/// Queues documents embedded by another model for re-indexing.
async fn requeue_stale(
    pool: &deadpool_postgres::Pool,
    embed: &EmbedPool,
    mut catalog: CatalogServiceClient<aidoc_common::client::TracedChannel>,
) {
    let stale = match store::stale_documents(pool, embed.model_id()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "could not look for documents from another model");
            return;
        }
    };
    for doc in stale {
        let r = catalog.reindex_document(api_pb::ReindexDocumentRequest { actor: None, id: doc.to_string() }).await;
        if let Err(s) = r {
            tracing::warn!(document = %doc, error = %s.message(), "re-embedding not queued");
        }
    }
}

pub async fn migrate(settings: &Settings<IndexerConfig>) -> Result<Vec<i64>, BoxError> {
    let db = &settings.service.database;
    let mut client = aidoc_common::db::connect(&db.url, db.connect_timeout).await?;
    Ok(aidoc_common::db::migrate(&mut client, "search", migrations::MIGRATIONS).await?)
}
