//! Clients between services: lazy channels that reconnect when a peer
//! restarts, per-call timeouts, trace propagation, and retries with backoff
//! for idempotent calls.

use crate::propagation::TraceInterceptor;
use std::future::Future;
use std::time::Duration;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// A channel that injects the trace context into every call.
pub type TracedChannel = InterceptedService<Channel, TraceInterceptor>;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub connect_timeout: Duration,
    /// Default deadline of each call.
    pub request_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions { connect_timeout: Duration::from_secs(2), request_timeout: Duration::from_secs(30) }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid service url {url:?}: {reason}")]
pub struct BadUrl {
    pub url: String,
    pub reason: String,
}

/// A lazily connected channel to `url` (`http://host:port`). It connects on
/// first use and reconnects by itself after the peer goes away.
pub fn channel(url: &str, opts: &ClientOptions) -> Result<TracedChannel, BadUrl> {
    let endpoint = Endpoint::from_shared(url.to_owned())
        .map_err(|e| BadUrl { url: url.to_owned(), reason: e.to_string() })?
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.request_timeout)
        .tcp_nodelay(true)
        .tcp_keepalive(Some(Duration::from_secs(30)))
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10))
        .keep_alive_while_idle(true);
    Ok(InterceptedService::new(endpoint.connect_lazy(), TraceInterceptor))
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 4, initial_backoff: Duration::from_millis(50), max_backoff: Duration::from_secs(2) }
    }
}

/// Whether a failed call may be retried: the peer was unreachable or
/// restarting. Only use [`retry`] for idempotent calls.
pub fn is_retryable(status: &tonic::Status) -> bool {
    match status.code() {
        tonic::Code::Unavailable => true,
        // A transport failure surfaces as Unknown without our error code.
        tonic::Code::Unknown => !status.metadata().contains_key(aidoc_proto::error::ERROR_CODE_METADATA_KEY),
        _ => false,
    }
}

/// Runs `call` until it succeeds, fails with a non-retryable status, or the
/// attempts run out; waits with exponential backoff and jitter in between.
pub async fn retry<T, F, Fut>(policy: &RetryPolicy, mut call: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    let mut backoff = policy.initial_backoff;
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(status) if attempt < policy.attempts && is_retryable(&status) => {
                let jitter = rand::random_range(0.5..1.0);
                let wait = backoff.mul_f64(jitter);
                tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %status.message(), "retrying call");
                tokio::time::sleep(wait).await;
                backoff = (backoff * 2).min(policy.max_backoff);
                attempt += 1;
            }
            Err(status) => return Err(status),
        }
    }
}

/// Registers a readiness check named `name` that asks the peer at `url`
/// through the standard gRPC health service.
pub fn add_peer_check(health: &crate::Health, name: &str, url: &str) -> Result<(), BadUrl> {
    use futures::FutureExt;
    use tonic_health::pb::health_check_response::ServingStatus;
    let opts = ClientOptions { request_timeout: Duration::from_secs(1), ..ClientOptions::default() };
    let ch = channel(url, &opts)?;
    let label = name.to_owned();
    health.add_check(name, move || {
        let mut client = tonic_health::pb::health_client::HealthClient::new(ch.clone());
        let label = label.clone();
        async move {
            let resp = client
                .check(tonic_health::pb::HealthCheckRequest { service: String::new() })
                .await
                .map_err(|s| format!("{label}: {}", s.message()))?;
            match resp.into_inner().status() {
                ServingStatus::Serving => Ok(()),
                other => Err(format!("{label}: {}", other.as_str_name())),
            }
        }
        .boxed()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn retries_only_transient_failures() {
        let policy = RetryPolicy {
            attempts: 3,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
        };
        let calls = AtomicU32::new(0);
        let r: Result<u32, _> = retry(&policy, || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < 2 { Err(tonic::Status::unavailable("down")) } else { Ok(n) }
        })
        .await;
        assert_eq!(r.ok(), Some(2));

        let calls = AtomicU32::new(0);
        let r: Result<u32, _> = retry(&policy, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(aidoc_proto::ErrorCode::NotFound.status("nope"))
        })
        .await;
        assert_eq!(r.err().map(|s| s.code()), Some(tonic::Code::NotFound));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a typed error is never retried");

        let calls = AtomicU32::new(0);
        let r: Result<u32, _> = retry(&policy, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(tonic::Status::unavailable("down"))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }
}
