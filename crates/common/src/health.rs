//! Liveness and readiness. A service is ready when it has finished starting,
//! is not draining, and every registered dependency check passes within its
//! timeout. The gRPC health service and the `aidoc_ready` gauge follow the
//! same state.

use futures::future::BoxFuture;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Starting,
    Ready,
    Draining,
}

type CheckFn = Arc<dyn Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync>;

#[derive(Clone)]
pub struct Health {
    inner: Arc<Inner>,
}

struct Inner {
    phase: AtomicU8,
    checks: RwLock<Vec<(String, CheckFn)>>,
    timeout: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: &'static str,
    pub phase: Phase,
    pub checks: BTreeMap<String, CheckResult>,
}

impl Report {
    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }
}

impl Default for Health {
    fn default() -> Self {
        Health::new(Duration::from_millis(1500))
    }
}

impl Health {
    /// `timeout` bounds each dependency check.
    pub fn new(timeout: Duration) -> Self {
        Health { inner: Arc::new(Inner { phase: AtomicU8::new(0), checks: RwLock::new(Vec::new()), timeout }) }
    }

    /// Registers a dependency check, e.g. `SELECT 1` on the database pool.
    pub fn add_check<F>(&self, name: &str, check: F)
    where
        F: Fn() -> BoxFuture<'static, Result<(), String>> + Send + Sync + 'static,
    {
        if let Ok(mut checks) = self.inner.checks.write() {
            checks.push((name.to_owned(), Arc::new(check)));
        }
    }

    pub fn phase(&self) -> Phase {
        match self.inner.phase.load(Ordering::SeqCst) {
            0 => Phase::Starting,
            1 => Phase::Ready,
            _ => Phase::Draining,
        }
    }

    pub fn set_started(&self) {
        let _ = self.inner.phase.compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst);
    }

    pub fn set_draining(&self) {
        self.inner.phase.store(2, Ordering::SeqCst);
        metrics::gauge!(crate::metrics::READY).set(0.0);
    }

    /// Runs every check concurrently, each bounded by the timeout.
    pub async fn report(&self) -> Report {
        let checks: Vec<(String, CheckFn)> = self.inner.checks.read().map(|c| c.clone()).unwrap_or_default();
        let timeout = self.inner.timeout;
        let results = futures::future::join_all(checks.into_iter().map(|(name, check)| async move {
            let result = match tokio::time::timeout(timeout, check()).await {
                Ok(Ok(())) => CheckResult { ok: true, error: None },
                Ok(Err(e)) => CheckResult { ok: false, error: Some(e) },
                Err(_) => {
                    CheckResult { ok: false, error: Some(format!("no answer within {} ms", timeout.as_millis())) }
                }
            };
            (name, result)
        }))
        .await;
        let checks: BTreeMap<_, _> = results.into_iter().collect();
        let phase = self.phase();
        let all_ok = checks.values().all(|c| c.ok);
        let status = match (phase, all_ok) {
            (Phase::Ready, true) => "ready",
            (Phase::Ready, false) => "degraded",
            (Phase::Starting, _) => "starting",
            (Phase::Draining, _) => "draining",
        };
        metrics::gauge!(crate::metrics::READY).set(if status == "ready" { 1.0 } else { 0.0 });
        Report { status, phase, checks }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[tokio::test]
    async fn readiness_follows_phase_and_checks() {
        let h = Health::new(Duration::from_millis(50));
        assert_eq!(h.report().await.status, "starting");
        h.set_started();
        assert!(h.report().await.is_ready());
        h.add_check("db", || async { Err("connection refused".to_owned()) }.boxed());
        h.add_check("slow", || {
            async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            }
            .boxed()
        });
        let r = h.report().await;
        assert_eq!(r.status, "degraded");
        assert_eq!(r.checks["db"].error.as_deref(), Some("connection refused"));
        assert!(r.checks["slow"].error.as_deref().unwrap_or_default().contains("within 50 ms"));
        h.set_draining();
        assert_eq!(h.report().await.status, "draining");
    }
}
