//! What every handler can reach: typed clients of the backend services.

use crate::config::GatewayConfig;
use aidoc_common::client::{BadUrl, ClientOptions, TracedChannel, channel};

#[derive(Clone)]
pub struct Backends {
    pub api: TracedChannel,
    pub indexer: TracedChannel,
    pub parser: TracedChannel,
    pub backup: TracedChannel,
}

impl Backends {
    pub fn connect(cfg: &GatewayConfig) -> Result<Backends, BadUrl> {
        let opts = ClientOptions::default();
        Ok(Backends {
            api: channel(&cfg.api_url, &opts)?,
            indexer: channel(&cfg.indexer_url, &opts)?,
            parser: channel(&cfg.parser_url, &opts)?,
            backup: channel(&cfg.backup_url, &opts)?,
        })
    }
}

#[derive(Clone)]
pub struct AppState {
    pub backends: Backends,
    pub config: GatewayConfig,
    pub health: aidoc_common::Health,
    pub store: std::sync::Arc<dyn aidoc_storage::ObjectStore>,
    pub auth: std::sync::Arc<crate::auth::AuthState>,
    pub mcp: std::sync::Arc<crate::mcp::Sessions>,
    /// This instance's request figures, until the next flush.
    pub monitor: std::sync::Arc<crate::monitor::Recorder>,
    /// When this process started (the monitor's service list).
    pub started_at: std::time::SystemTime,
}
