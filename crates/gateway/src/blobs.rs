//! Removing objects from storage safely.
//!
//! A blob is removed only under a claim from the api (see its `blobs`
//! module): the claim is refused while a document refers to the blob, and no
//! document can be created on the blob while the claim lasts. A sweeper
//! finishes removals whose claimer died, clears staging objects left by
//! uploads that never completed, and removes blobs no document refers to (a
//! gateway that died between storing a blob and recording its document).

use crate::state::AppState;
use aidoc_proto::api::v1 as api;
use aidoc_storage::{STAGING_PREFIX, staging_age};

/// Where content-addressed blobs live.
const BLOB_PREFIX: &str = "blobs/";
use std::collections::HashSet;
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// A staging object this old belongs to an upload that is not coming back
/// (uploads are bounded by the request timeout, far below this).
const STAGING_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Removes the object of a granted claim, then closes the claim; false when
/// the object could not be removed.
pub async fn remove(state: &AppState, d: &api::BlobDeletion) -> bool {
    match state.store.delete(&d.blob_key).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => {}
        Err(e) => {
            // The claim expires and the sweeper tries again.
            tracing::warn!(key = %d.blob_key, error = %e, "could not remove a blob; the sweeper will retry");
            return false;
        }
    }
    let finished = crate::routes::catalog(state)
        .finish_blob_deletion(api::FinishBlobDeletionRequest { blob_key: d.blob_key.clone(), token: d.token.clone() })
        .await;
    if let Err(s) = finished {
        tracing::warn!(key = %d.blob_key, error = %s.message(), "could not close a blob removal claim");
    }
    true
}

/// Removes a blob stored for an upload that did not become a document,
/// unless a document refers to the same bytes; true when it was removed.
pub async fn release(state: &AppState, key: &str) -> bool {
    let claim = crate::routes::catalog(state)
        .claim_blob_deletion(api::ClaimBlobDeletionRequest { blob_key: key.to_owned() })
        .await;
    match claim {
        Ok(r) => match r.into_inner().deletion {
            Some(d) => remove(state, &d).await,
            None => false,
        },
        Err(s) => {
            tracing::warn!(key, error = %s.message(), "could not claim the removal of an unused upload");
            false
        }
    }
}

/// What one sweep removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    /// Objects of removal claims whose claimer died.
    pub claims: usize,
    /// Staging objects of uploads that never completed.
    pub staging: usize,
    /// Blobs no document refers to.
    pub orphans: usize,
}

/// Blobs the previous pass found unreferenced. A blob is removed only when
/// two passes, a sweep interval apart, both found no document on it: an
/// upload records its document within moments of storing the blob, so a
/// blob of an upload in flight is never taken.
#[derive(Debug, Default)]
pub struct Suspects(HashSet<String>);

/// Keys asked about per call (the api's limit).
const UNREFERENCED_BATCH: usize = 1000;

/// One pass: expired claims, stale staging objects, then unreferenced blobs.
pub async fn sweep(state: &AppState, suspects: &mut Suspects) -> Swept {
    let mut swept = Swept::default();
    match crate::routes::catalog(state)
        .claim_stale_blob_deletions(api::ClaimStaleBlobDeletionsRequest { limit: 500 })
        .await
    {
        Ok(r) => {
            for d in r.into_inner().deletions {
                swept.claims += usize::from(remove(state, &d).await);
            }
        }
        Err(s) => tracing::warn!(error = %s.message(), "could not take over expired blob removals"),
    }
    match state.store.list(STAGING_PREFIX).await {
        Ok(objects) => {
            let now = SystemTime::now();
            for o in objects {
                if staging_age(&o.key, now).is_some_and(|age| age > STAGING_MAX_AGE) {
                    match state.store.delete(&o.key).await {
                        Ok(()) => swept.staging += 1,
                        Err(e) if e.is_not_found() => {}
                        Err(e) => tracing::warn!(key = %o.key, error = %e, "could not remove a stale staging object"),
                    }
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not list staging objects"),
    }
    swept.orphans = sweep_orphans(state, suspects).await;
    if swept != Swept::default() {
        tracing::info!(
            claims = swept.claims,
            staging = swept.staging,
            orphans = swept.orphans,
            "storage sweep removed leftovers"
        );
    }
    swept
}

/// Removes the blobs that were unreferenced in the previous pass and still are; remembers the newly unreferenced
/// ones for the next pass. Removal goes through a claim, which the api refuses when a document appeared meanwhile.
async fn sweep_orphans(state: &AppState, suspects: &mut Suspects) -> usize {
    let keys: Vec<String> = match state.store.list(BLOB_PREFIX).await {
        Ok(objects) => objects.into_iter().map(|o| o.key).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "could not list blobs");
            return 0;
        }
    };
    let mut unreferenced = HashSet::new();
    for batch in keys.chunks(UNREFERENCED_BATCH) {
        let found = crate::routes::catalog(state)
            .find_unreferenced_blobs(api::FindUnreferencedBlobsRequest { blob_keys: batch.to_vec() })
            .await;
        match found {
            Ok(r) => unreferenced.extend(r.into_inner().blob_keys),
            Err(s) => {
                // Without a full answer nothing is removed, and the suspects stay for the next pass.
                tracing::warn!(error = %s.message(), "could not ask which blobs are unreferenced");
                return 0;
            }
        }
    }
    let mut removed = 0;
    for key in unreferenced.iter().filter(|k| suspects.0.contains(*k)) {
        if release(state, key).await {
            tracing::warn!(key = %key, "removed a blob no document refers to (its upload never finished)");
            removed += 1;
        }
    }
    suspects.0 = unreferenced.into_iter().filter(|k| !suspects.0.contains(k)).collect();
    removed
}

/// Sweeps every `storage_sweep_interval` (the first time after at most a
/// minute) until `stop`.
pub fn spawn_sweeper(state: AppState, stop: CancellationToken) -> tokio::task::JoinHandle<()> {
    let every = state.config.gateway.storage_sweep_interval.max(Duration::from_secs(1));
    tokio::spawn(async move {
        let mut wait = every.min(Duration::from_secs(60));
        let mut suspects = Suspects::default();
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
            sweep(&state, &mut suspects).await;
            wait = every;
        }
    })
}
