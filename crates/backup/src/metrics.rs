//! The backup service's metric names (listed in `deploy/metrics.txt`; the alert rules and dashboards in `deploy/`
//! use them). The timestamps and sizes are read back from the backup store, so they are right whoever made the
//! backup (this service's scheduler, a CronJob, an operator's CLI).

use crate::layout::Listed;
use std::collections::BTreeMap;

/// End of the newest complete backup, by `kind` (`database`, `full`).
pub const LAST_SUCCESS_TIMESTAMP_SECONDS: &str = "aidoc_backup_last_success_timestamp_seconds";
/// End of the newest restore test that passed.
pub const LAST_RESTORE_TEST_SUCCESS_TIMESTAMP_SECONDS: &str =
    "aidoc_backup_last_restore_test_success_timestamp_seconds";
/// How long backups, restore tests and cleanups took, by `kind`.
pub const DURATION_SECONDS: &str = "aidoc_backup_duration_seconds";
/// Bytes of the newest complete backup, by `kind`.
pub const SIZE_BYTES: &str = "aidoc_backup_size_bytes";
/// Failed runs by `kind` (`database`, `full`, `restore_test`, `cleanup`).
pub const FAILURES_TOTAL: &str = "aidoc_backup_failures_total";
/// Complete backups in the backup store.
pub const STORED: &str = "aidoc_backup_stored";

pub const KINDS: [&str; 4] = ["database", "full", "restore_test", "cleanup"];

pub fn describe() {
    metrics::describe_gauge!(
        LAST_SUCCESS_TIMESTAMP_SECONDS,
        metrics::Unit::Seconds,
        "Unix time at which the newest complete backup finished, by kind."
    );
    metrics::describe_gauge!(
        LAST_RESTORE_TEST_SUCCESS_TIMESTAMP_SECONDS,
        metrics::Unit::Seconds,
        "Unix time of the newest restore test that passed."
    );
    metrics::describe_histogram!(DURATION_SECONDS, metrics::Unit::Seconds, "Duration of backup operations, by kind.");
    metrics::describe_gauge!(SIZE_BYTES, metrics::Unit::Bytes, "Size of the newest complete backup, by kind.");
    metrics::describe_counter!(FAILURES_TOTAL, "Failed backup operations, by kind.");
    metrics::describe_gauge!(STORED, "Complete backups in the backup store.");
    // Every failure series exists from the start, so `increase()` sees the first failure.
    for kind in KINDS {
        metrics::counter!(FAILURES_TOTAL, "kind" => kind).increment(0);
    }
}

pub fn record_duration(kind: &'static str, seconds: f64) {
    metrics::histogram!(DURATION_SECONDS, "kind" => kind).record(seconds);
}

pub fn record_failure(kind: &'static str) {
    metrics::counter!(FAILURES_TOTAL, "kind" => kind).increment(1);
}

/// Sets the gauges from what the backup store holds.
pub fn refresh(listing: &[Listed]) {
    let mut newest: BTreeMap<&'static str, (f64, u64)> = BTreeMap::new();
    let mut restore_test: Option<f64> = None;
    let mut stored = 0u64;
    for l in listing {
        let Some(info) = &l.info else { continue };
        stored += 1;
        let at = info.finished_at.timestamp() as f64;
        let slot = newest.entry(info.kind.as_str()).or_insert((0.0, 0));
        if at >= slot.0 {
            *slot = (at, info.size_bytes);
        }
        if let Some(v) = &l.verification
            && v.ok
            && v.mode == "restore_test"
        {
            let t = v.checked_at.timestamp() as f64;
            restore_test = Some(restore_test.map_or(t, |r: f64| r.max(t)));
        }
    }
    for (kind, (at, size)) in newest {
        metrics::gauge!(LAST_SUCCESS_TIMESTAMP_SECONDS, "kind" => kind).set(at);
        metrics::gauge!(SIZE_BYTES, "kind" => kind).set(size as f64);
    }
    if let Some(t) = restore_test {
        metrics::gauge!(LAST_RESTORE_TEST_SUCCESS_TIMESTAMP_SECONDS).set(t);
    }
    metrics::gauge!(STORED).set(stored as f64);
}
