//! Removing objects from storage safely.
//!
//! A blob is removed only under a claim from the api (see its `blobs`
//! module): the claim is refused while a document refers to the blob, and no
//! document can be created on the blob while the claim lasts. A sweeper
//! finishes removals whose claimer died and clears staging objects left by
//! uploads that never completed.

use crate::state::AppState;
use aidoc_proto::api::v1 as api;
use aidoc_storage::{STAGING_PREFIX, staging_age};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// A staging object this old belongs to an upload that is not coming back
/// (uploads are bounded by the request timeout, far below this).
const STAGING_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Removes the object of a granted claim, then closes the claim.
pub async fn remove(state: &AppState, d: &api::BlobDeletion) {
    match state.store.delete(&d.blob_key).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            // The claim expires and the sweeper tries again.
            tracing::warn!(key = %d.blob_key, error = %e, "could not remove a blob; the sweeper will retry");
            return;
        }
    }
    let finished = crate::routes::catalog(state)
        .finish_blob_deletion(api::FinishBlobDeletionRequest { blob_key: d.blob_key.clone(), token: d.token.clone() })
        .await;
    if let Err(s) = finished {
        tracing::warn!(key = %d.blob_key, error = %s.message(), "could not close a blob removal claim");
    }
}

/// Removes a blob stored for an upload that did not become a document,
/// unless a document refers to the same bytes.
pub async fn release(state: &AppState, key: &str) {
    let claim = crate::routes::catalog(state)
        .claim_blob_deletion(api::ClaimBlobDeletionRequest { blob_key: key.to_owned() })
        .await;
    match claim {
        Ok(r) => {
            if let Some(d) = r.into_inner().deletion {
                remove(state, &d).await;
            }
        }
        Err(s) => tracing::warn!(key, error = %s.message(), "could not claim the removal of an unused upload"),
    }
}

/// One pass: expired claims, then stale staging objects. Returns how many
/// objects of each kind were removed.
pub async fn sweep(state: &AppState) -> (usize, usize) {
    let mut claims = 0;
    match crate::routes::catalog(state)
        .claim_stale_blob_deletions(api::ClaimStaleBlobDeletionsRequest { limit: 500 })
        .await
    {
        Ok(r) => {
            for d in r.into_inner().deletions {
                remove(state, &d).await;
                claims += 1;
            }
        }
        Err(s) => tracing::warn!(error = %s.message(), "could not take over expired blob removals"),
    }
    let mut staging = 0;
    match state.store.list(STAGING_PREFIX).await {
        Ok(objects) => {
            let now = SystemTime::now();
            for o in objects {
                if staging_age(&o.key, now).is_some_and(|age| age > STAGING_MAX_AGE) {
                    match state.store.delete(&o.key).await {
                        Ok(()) => staging += 1,
                        Err(e) if e.is_not_found() => {}
                        Err(e) => tracing::warn!(key = %o.key, error = %e, "could not remove a stale staging object"),
                    }
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list staging objects"),
    }
    if claims + staging > 0 {
        tracing::info!(claims, staging, "storage sweep removed leftovers");
    }
    (claims, staging)
}

/// Sweeps every `storage_sweep_interval` (the first time after at most a
/// minute) until `stop`.
pub fn spawn_sweeper(state: AppState, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    let every = state.config.gateway.storage_sweep_interval.max(Duration::from_secs(1));
    tokio::spawn(async move {
        let mut wait = every.min(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            sweep(&state).await;
            wait = every;
        }
    })
}
