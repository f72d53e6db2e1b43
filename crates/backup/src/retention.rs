//! Retention: keep the newest backup of each of the last N days, N ISO weeks and N months (UTC); never delete the
//! newest complete backup, nor the newest one whose verification has not failed; remove interrupted backups once
//! they are older than a grace period (a running backup is younger than that).

use crate::engine::Engine;
use crate::error::Result;
use crate::layout::Listed;
use chrono::{DateTime, Datelike, Utc};
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
    pub incomplete_grace: Duration,
}

/// What cleanup keeps and deletes, with the reason for each kept backup.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    pub keep: Vec<(String, Vec<&'static str>)>,
    pub delete: Vec<String>,
    /// Incomplete backups past the grace period.
    pub delete_incomplete: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CleanupReport {
    pub plan: Plan,
    pub deleted_bytes: u64,
    pub duration_ms: u64,
}

/// The calendar period a time falls in (year and day, ISO week or month).
type Period = fn(&DateTime<Utc>) -> (i32, u32);

/// Decides from a listing (any order) at time `now`.
pub fn plan(listing: &[Listed], policy: Policy, now: DateTime<Utc>) -> Plan {
    let mut complete: Vec<&Listed> = listing.iter().filter(|l| l.is_complete() && l.created_at.is_some()).collect();
    complete.sort_by(|a, b| b.created_at.cmp(&a.created_at).then_with(|| b.name.cmp(&a.name)));
    let mut reasons: Vec<Vec<&'static str>> = vec![Vec::new(); complete.len()];
    if !complete.is_empty() {
        reasons[0].push("newest");
    }
    if let Some(i) = complete.iter().position(|l| l.status() != "failed") {
        reasons[i].push("newest not failing verification");
    }
    let buckets: [(u32, &'static str, Period); 3] = [
        (policy.keep_daily, "daily", |t| (t.year(), t.ordinal())),
        (policy.keep_weekly, "weekly", |t| (t.iso_week().year(), t.iso_week().week())),
        (policy.keep_monthly, "monthly", |t| (t.year(), t.month())),
    ];
    for (keep, label, period) in buckets {
        let mut seen = BTreeSet::new();
        for (i, l) in complete.iter().enumerate() {
            let Some(at) = l.created_at else { continue };
            // The first backup met in a period is its newest (the list is newest first).
            if seen.len() < keep as usize && seen.insert(period(&at)) {
                reasons[i].push(label);
            }
        }
    }
    let mut out = Plan::default();
    for (l, why) in complete.iter().zip(reasons) {
        if why.is_empty() { out.delete.push(l.name.clone()) } else { out.keep.push((l.name.clone(), why)) }
    }
    let grace = chrono::Duration::from_std(policy.incomplete_grace).unwrap_or(chrono::Duration::MAX);
    for l in listing.iter().filter(|l| !l.is_complete()) {
        // Names that are not backups (no time in them) are left alone.
        if let Some(at) = l.created_at
            && now - at > grace
        {
            out.delete_incomplete.push(l.name.clone());
        }
    }
    out
}

impl Engine {
    pub fn policy(&self) -> Policy {
        let b = &self.cfg.backup;
        Policy {
            keep_daily: b.keep_daily,
            keep_weekly: b.keep_weekly,
            keep_monthly: b.keep_monthly,
            incomplete_grace: b.incomplete_grace,
        }
    }

    /// Applies the retention policy (`dry_run`: only plans).
    pub async fn cleanup(&self, dry_run: bool) -> Result<CleanupReport> {
        let clock = Instant::now();
        let result = self.cleanup_inner(dry_run).await;
        crate::metrics::record_duration("cleanup", clock.elapsed().as_secs_f64());
        match result {
            Ok(mut report) => {
                report.duration_ms = clock.elapsed().as_millis() as u64;
                Ok(report)
            }
            Err(e) => {
                crate::metrics::record_failure("cleanup");
                tracing::error!(error = %e, "cleanup failed");
                Err(e)
            }
        }
    }

    async fn cleanup_inner(&self, dry_run: bool) -> Result<CleanupReport> {
        let listing = self.list().await?;
        let plan = plan(&listing, self.policy(), Utc::now());
        let mut deleted_bytes = 0;
        if !dry_run {
            for name in plan.delete.iter().chain(&plan.delete_incomplete) {
                let bytes = self.delete_backup(name).await?;
                tracing::info!(backup = %name, bytes, "deleted by retention");
                deleted_bytes += bytes;
            }
            self.list_and_refresh().await?;
        }
        Ok(CleanupReport { plan, deleted_bytes, duration_ms: 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::BackupKind;
    use crate::layout::{BackupInfo, Contents, Verification, Versions};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn backup(time: &str, complete: bool, verified: Option<bool>) -> Listed {
        let t = at(time);
        let name = crate::layout::backup_name(t, BackupKind::Full);
        let info = complete.then(|| BackupInfo {
            format: 1,
            name: name.clone(),
            kind: BackupKind::Full,
            started_at: t,
            finished_at: t,
            duration_ms: 0,
            database: "aidoc".into(),
            versions: Versions::default(),
            contents: Contents::default(),
            files: vec![],
            size_bytes: 1,
            uncopied: vec![],
            warnings: vec![],
        });
        let verification = verified.map(|ok| Verification {
            checked_at: t,
            ok,
            mode: "restore_test".into(),
            problems: vec![],
            warnings: vec![],
            duration_ms: 0,
        });
        Listed { name, kind: Some(BackupKind::Full), created_at: Some(t), stored_bytes: 1, info, verification }
    }

    fn policy(d: u32, w: u32, m: u32) -> Policy {
        Policy { keep_daily: d, keep_weekly: w, keep_monthly: m, incomplete_grace: Duration::from_secs(24 * 3600) }
    }

    fn kept(p: &Plan) -> Vec<&str> {
        p.keep.iter().map(|(n, _)| &n[..8]).collect()
    }

    #[test]
    fn daily_weekly_monthly_keep_the_newest_of_each_period() {
        // One backup a day at 02:00 from 2026-08-01 to 2026-11-26 (118 days), plus a second one on the last day.
        let mut listing = Vec::new();
        let mut day = at("2026-08-01T02:00:00Z");
        while day <= at("2026-11-26T02:00:00Z") {
            listing.push(backup(&day.to_rfc3339(), true, None));
            day += chrono::Duration::days(1);
        }
        listing.push(backup("2026-11-26T14:00:00Z", true, None));
        let p = plan(&listing, policy(7, 4, 6), at("2026-11-26T15:00:00Z"));
        // 7 days: 26th (the 14:00 one) back to the 20th; weeks (ISO, Monday first): the Sunday before each week
        // boundary; months: the last day of each month.
        assert_eq!(
            kept(&p),
            vec![
                "20261126", "20261125", "20261124", "20261123", "20261122", "20261121", "20261120", "20261115",
                "20261108", "20261031", "20260930", "20260831"
            ]
        );
        assert_eq!(p.keep[0].0, "20261126T140000Z-full");
        assert_eq!(p.keep[0].1, vec!["newest", "newest not failing verification", "daily", "weekly", "monthly"]);
        assert_eq!(p.keep.len() + p.delete.len(), listing.len());
        assert!(p.delete.contains(&"20261126T020000Z-full".to_string()), "the older one of the same day goes");
        assert!(p.delete_incomplete.is_empty());
    }

    #[test]
    fn the_newest_backup_survives_any_policy_and_a_failed_one_does_not_displace_a_good_one() {
        let listing = vec![
            backup("2026-11-26T02:00:00Z", true, Some(false)),
            backup("2026-11-25T02:00:00Z", true, Some(true)),
            backup("2026-11-24T02:00:00Z", true, None),
        ];
        let p = plan(&listing, policy(1, 0, 0), at("2026-11-26T03:00:00Z"));
        assert_eq!(kept(&p), vec!["20261126", "20261125"]);
        assert_eq!(p.keep[1].1, vec!["newest not failing verification"]);
        assert_eq!(p.delete, vec!["20261124T020000Z-full"]);
    }

    #[test]
    fn interrupted_backups_go_after_the_grace_period_and_never_count_as_kept() {
        let listing = vec![
            backup("2026-11-26T02:00:00Z", false, None), // running or just crashed
            backup("2026-11-24T02:00:00Z", false, None), // crashed two days ago
            backup("2026-11-23T02:00:00Z", true, None),
        ];
        let p = plan(&listing, policy(7, 4, 6), at("2026-11-26T03:00:00Z"));
        assert_eq!(kept(&p), vec!["20261123"]);
        assert_eq!(p.delete_incomplete, vec!["20261124T020000Z-full"]);
        assert!(p.delete.is_empty());
    }
}
