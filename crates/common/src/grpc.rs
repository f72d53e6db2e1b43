//! gRPC servers: every service gets the standard health service (NOT_SERVING
//! until ready), reflection over all aidoc packages, a span per call joined to
//! the caller's trace, and RED metrics.

use crate::health::Health;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;
use tower_layer::Layer;
use tower_service::Service;
use tracing::Instrument;

/// Tower layer adding a server span (child of the incoming W3C context) and
/// RED metrics to every gRPC call.
#[derive(Clone, Copy, Debug, Default)]
pub struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Observe { inner }
    }
}

#[derive(Clone, Debug)]
pub struct Observe<S> {
    inner: S,
}

impl<S, B, RB> Service<http::Request<B>> for Observe<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<RB>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let rpc = req.uri().path().to_owned();
        let observed = !rpc.starts_with("/grpc.health.") && !rpc.starts_with("/grpc.reflection.");
        let span = tracing::info_span!("grpc.server", otel.name = %rpc, otel.kind = "server", rpc = %rpc, grpc.code = tracing::field::Empty);
        crate::propagation::set_parent_from(&span, req.headers());
        let started = Instant::now();
        let fut = self.inner.call(req);
        Box::pin(
            async move {
                let result = fut.await;
                let code = match &result {
                    Ok(resp) => resp
                        .headers()
                        .get("grpc-status")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<i32>().ok())
                        .map(tonic::Code::from_i32)
                        .unwrap_or(tonic::Code::Ok),
                    Err(_) => tonic::Code::Internal,
                };
                tracing::Span::current().record("grpc.code", tracing::field::debug(code));
                if observed {
                    crate::metrics::record_grpc(&rpc, code, started.elapsed());
                }
                result
            }
            .instrument(span),
        )
    }
}

/// Keeps the gRPC health service in step with [`Health`]: SERVING only while
/// ready, NOT_SERVING while starting, degraded or draining.
async fn follow_health(
    health: Health,
    reporter: tonic_health::server::HealthReporter,
    services: Vec<String>,
    stop: CancellationToken,
) {
    let mut last = None;
    loop {
        let ready = health.report().await.is_ready();
        if last != Some(ready) {
            let status =
                if ready { tonic_health::ServingStatus::Serving } else { tonic_health::ServingStatus::NotServing };
            for s in services.iter().map(String::as_str).chain(std::iter::once("")) {
                reporter.set_service_status(s, status).await;
            }
            last = Some(ready);
        }
        tokio::select! {
            _ = stop.cancelled() => {
                for s in services.iter().map(String::as_str).chain(std::iter::once("")) {
                    reporter.set_service_status(s, tonic_health::ServingStatus::NotServing).await;
                }
                return;
            }
            _ = tokio::time::sleep(Duration::from_millis(if ready { 2000 } else { 250 })) => {}
        }
    }
}

/// Serves `routes` plus health and reflection on `listener` until `stop` is
/// cancelled, then lets in-flight calls finish for at most `grace`.
/// `services` are the fully qualified names reported by the health service.
pub async fn serve(
    listener: TcpListener,
    routes: Routes,
    services: Vec<String>,
    health: Health,
    stop: CancellationToken,
    grace: Duration,
) -> Result<(), tonic::transport::Error> {
    let (reporter, health_service) = tonic_health::server::health_reporter();
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(aidoc_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1();
    let follower_stop = stop.clone();
    let follower = tokio::spawn(follow_health(health, reporter, services, follower_stop));

    let mut routes = routes.add_service(health_service);
    if let Ok(reflection) = reflection {
        routes = routes.add_service(reflection);
    }
    let incoming = tokio_stream_incoming(listener);
    let drain_stop = stop.clone();
    let server = tonic::transport::Server::builder()
        .layer(ObserveLayer)
        .add_routes(routes)
        .serve_with_incoming_shutdown(incoming, async move { drain_stop.cancelled().await });
    tokio::pin!(server);
    let result = tokio::select! {
        r = &mut server => r,
        _ = async { stop.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(grace_ms = grace.as_millis() as u64, "drain grace period over, abandoning in-flight calls");
            Ok(())
        }
    };
    follower.abort();
    result
}

fn tokio_stream_incoming(listener: TcpListener) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |listener| async move {
        let item = listener.accept().await.map(|(stream, _)| {
            let _ = stream.set_nodelay(true);
            stream
        });
        Some((item, listener))
    })
}
