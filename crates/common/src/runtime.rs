//! The life of a service process: admin port up first (live at once, ready
//! later), then the main port; on SIGTERM readiness turns 503, the main port
//! stops accepting and drains within the grace period, and the admin port
//! goes last.

use crate::config::BaseConfig;
use crate::health::Health;
use crate::shutdown::Shutdown;
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct Runtime {
    pub service: &'static str,
    pub version: &'static str,
    pub base: BaseConfig,
    pub health: Health,
    pub shutdown: Shutdown,
    pub metrics: PrometheusHandle,
    pub admin_addr: SocketAddr,
    /// When this process started serving (reported by `aidoc.common.v1.Info`).
    pub started_at: std::time::SystemTime,
    admin_stop: CancellationToken,
    admin_task: JoinHandle<std::io::Result<()>>,
    drain: CancellationToken,
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot bind {what} port {addr}: {source}")]
    Bind { what: &'static str, addr: SocketAddr, source: std::io::Error },
    #[error("grpc server failed: {0}")]
    Grpc(#[from] tonic::transport::Error),
    #[error("http server failed: {0}")]
    Http(std::io::Error),
}

impl Runtime {
    /// Binds and serves the admin port. The service is live from here on and
    /// ready once [`Health::set_started`] is called and its checks pass.
    pub async fn start(
        service: &'static str,
        version: &'static str,
        base: &BaseConfig,
        shutdown: Shutdown,
    ) -> Result<Runtime, RuntimeError> {
        let started_at = std::time::SystemTime::now();
        let metrics = crate::metrics::install(service, version);
        let health = Health::default();
        let listener = TcpListener::bind(base.admin_addr).await.map_err(|source| RuntimeError::Bind {
            what: "admin",
            addr: base.admin_addr,
            source,
        })?;
        let admin_addr = listener.local_addr().map_err(RuntimeError::Http)?;
        let admin_stop = CancellationToken::new();
        let admin_task = tokio::spawn(crate::admin::serve(
            listener,
            service,
            version,
            health.clone(),
            metrics.clone(),
            admin_stop.clone(),
        ));

        // Readiness turns 503 the moment shutdown is requested; only then is
        // the main port told to stop accepting.
        let drain = CancellationToken::new();
        {
            let (shutdown, health, drain) = (shutdown.clone(), health.clone(), drain.clone());
            tokio::spawn(async move {
                shutdown.wait().await;
                health.set_draining();
                tracing::info!("draining: readiness is now 503, no new connections");
                drain.cancel();
            });
        }
        tracing::info!(%admin_addr, "admin port up");
        Ok(Runtime {
            service,
            version,
            base: base.clone(),
            health,
            shutdown,
            metrics,
            admin_addr,
            started_at,
            admin_stop,
            admin_task,
            drain,
        })
    }

    /// Binds the main port.
    pub async fn bind_main(&self) -> Result<TcpListener, RuntimeError> {
        let addr = self.base.listen_addr;
        TcpListener::bind(addr).await.map_err(|source| RuntimeError::Bind { what: "main", addr, source })
    }

    /// Cancelled once readiness has turned 503 after a shutdown request.
    pub fn drain_token(&self) -> CancellationToken {
        self.drain.clone()
    }

    /// Serves gRPC `routes` on `listener`; marks the service started; returns
    /// after shutdown once in-flight calls are done (or the grace is over).
    pub async fn serve_grpc(
        &self,
        listener: TcpListener,
        routes: tonic::service::Routes,
        services: &[&str],
    ) -> Result<(), RuntimeError> {
        let addr = listener.local_addr().map_err(RuntimeError::Http)?;
        tracing::info!(%addr, "grpc port up");
        self.health.set_started();
        let info = crate::info::Info::new(self.service, self.version, self.started_at).server();
        crate::grpc::serve(
            listener,
            routes.add_service(info),
            services.iter().map(|s| (*s).to_owned()).collect(),
            self.health.clone(),
            self.drain.clone(),
            self.base.shutdown_grace,
        )
        .await?;
        tracing::info!("grpc port drained");
        Ok(())
    }

    /// Stops the admin port; call after pools are closed.
    pub async fn finish(self) {
        self.admin_stop.cancel();
        let _ = self.admin_task.await;
        tracing::info!(service = self.service, "stopped");
    }
}
