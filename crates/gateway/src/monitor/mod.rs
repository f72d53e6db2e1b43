//! The monitor page's figures: this instance records requests
//! ([`record`]) and a background task adds them to the api's monitor data
//! every `gateway.monitor_flush_interval` and once more at shutdown.

pub mod record;

pub use record::{Deltas, Group, Recorder, group_of};

use aidoc_common::client::TracedChannel;
use aidoc_proto::api::v1::monitor_service_client::MonitorServiceClient;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Sends what `recorder` holds; on failure puts it back for the next try.
pub async fn flush(recorder: &Recorder, api: TracedChannel) -> Result<(), tonic::Status> {
    let deltas = recorder.take();
    if deltas.is_empty() {
        return Ok(());
    }
    let mut req = tonic::Request::new(aidoc_proto::api::v1::RecordTrafficRequest {
        traffic: deltas.traffic.clone(),
        usage: deltas.usage.clone(),
    });
    req.set_timeout(Duration::from_secs(5));
    match MonitorServiceClient::new(api).record_traffic(req).await {
        Ok(_) => Ok(()),
        Err(s) => {
            recorder.restore(deltas);
            Err(s)
        }
    }
}

/// Flushes every `interval` until `stop` (the caller flushes once more
/// after the last request was answered).
pub fn spawn_flusher(
    recorder: Arc<Recorder>,
    api: TracedChannel,
    interval: Duration,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut failing = false;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            match flush(&recorder, api.clone()).await {
                Ok(()) => failing = false,
                Err(s) if !failing => {
                    tracing::warn!(error = %s.message(), "monitor figures not delivered; kept for the next try");
                    failing = true;
                }
                Err(_) => {}
            }
        }
    })
}
