//! Shutdown signalling: SIGTERM or SIGINT cancels one token that every part
//! of a service watches.

use tokio_util::sync::CancellationToken;

/// Cancelled when the process is asked to stop.
#[derive(Clone, Debug, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    pub fn new() -> Self {
        Shutdown(CancellationToken::new())
    }

    /// Cancels the token on the first SIGTERM or SIGINT.
    pub fn on_signals(&self) {
        let token = self.0.clone();
        tokio::spawn(async move {
            wait_for_signal().await;
            token.cancel();
        });
    }

    pub fn trigger(&self) {
        self.0.cancel();
    }

    pub fn is_triggered(&self) -> bool {
        self.0.is_cancelled()
    }

    pub async fn wait(&self) {
        self.0.cancelled().await
    }

    pub fn token(&self) -> CancellationToken {
        self.0.clone()
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!(signal = "SIGTERM", "shutdown requested"),
                    _ = int.recv() => tracing::info!(signal = "SIGINT", "shutdown requested"),
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
