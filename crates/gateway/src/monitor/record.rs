//! What this gateway instance saw since its last flush: per minute and
//! route group the requests, 5xx answers and a latency histogram over fixed
//! bounds; per day the searches and the users that made an authenticated
//! request. The flush task sends these deltas to the api, which adds them up
//! over every gateway instance.

use aidoc_common::monitor::{BUCKETS, bucket_of, merge};
use aidoc_proto::api::v1 as pb;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A route group of the monitor page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Auth,
    Documents,
    Search,
    Mcp,
    Admin,
    Ui,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Auth => "auth",
            Group::Documents => "documents",
            Group::Search => "search",
            Group::Mcp => "mcp",
            Group::Admin => "admin",
            Group::Ui => "ui",
        }
    }
}

/// The group a request path belongs to; `None` for what is not counted
/// (health, metrics, the OpenAPI document and its UI, and `/api/` paths
/// that are no route).
pub fn group_of(path: &str) -> Option<Group> {
    if path == "/health" || path.starts_with("/health/") || path == "/metrics" {
        return None;
    }
    if crate::auth::middleware::is_documentation(path) {
        return None;
    }
    if path == crate::mcp::PATH || path.starts_with("/mcp/") {
        return Some(Group::Mcp);
    }
    let Some(rest) = path.strip_prefix("/api/v1/") else {
        return if path == "/api" || path.starts_with("/api/") { None } else { Some(Group::Ui) };
    };
    let first = rest.split('/').next().unwrap_or("");
    Some(match first {
        "auth" => Group::Auth,
        "documents" => Group::Documents,
        "search" | "chunks" => Group::Search,
        "users" | "keys" | "audit" | "categories" | "tags" | "jobs" | "system" | "monitor" => Group::Admin,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
struct Cell {
    requests: u64,
    errors: u64,
    buckets: Vec<u64>,
}

impl Default for Cell {
    fn default() -> Self {
        Cell { requests: 0, errors: 0, buckets: vec![0; BUCKETS] }
    }
}

#[derive(Debug, Default, Clone, PartialEq)]
struct Day {
    searches: u64,
    users: BTreeSet<String>,
}

#[derive(Debug, Default)]
struct Pending {
    traffic: BTreeMap<(i64, Group), Cell>,
    days: BTreeMap<String, Day>,
}

/// Bounds on what is kept while the api cannot be reached: the oldest
/// minutes and days are dropped first.
const MAX_CELLS: usize = 8 * 24 * 60 * 6;
const MAX_DAYS: usize = 8;
const MAX_USERS_PER_DAY: usize = 100_000;

/// The accumulator; cheap to update from every request (one short lock).
#[derive(Debug, Default)]
pub struct Recorder {
    pending: Mutex<Pending>,
}

/// One flush: what was taken from the accumulator.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deltas {
    pub traffic: Vec<pb::TrafficDelta>,
    pub usage: Vec<pb::UsageDelta>,
}

impl Deltas {
    pub fn is_empty(&self) -> bool {
        self.traffic.is_empty() && self.usage.is_empty()
    }
}

fn epoch_seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs() as i64
}

/// `YYYY-MM-DD` of `at` in UTC.
pub fn day_of(at: SystemTime) -> String {
    let d = chrono::DateTime::<chrono::Utc>::from(at);
    d.format("%Y-%m-%d").to_string()
}

impl Recorder {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one answered request.
    pub fn request(&self, at: SystemTime, group: Group, status: u16, latency: Duration, user_id: Option<&str>) {
        let minute = epoch_seconds(at).div_euclid(60) * 60;
        let day = user_id.map(|_| day_of(at));
        let mut p = self.lock();
        let cell = p.traffic.entry((minute, group)).or_default();
        cell.requests += 1;
        if status >= 500 {
            cell.errors += 1;
        }
        cell.buckets[bucket_of(latency.as_secs_f64() * 1000.0)] += 1;
        if let (Some(day), Some(user)) = (day, user_id) {
            let d = p.days.entry(day).or_default();
            if d.users.len() < MAX_USERS_PER_DAY {
                d.users.insert(user.to_owned());
            }
        }
        trim(&mut p);
    }

    /// Counts one search (a REST search or an MCP `search_docs` call).
    pub fn search(&self, at: SystemTime) {
        let mut p = self.lock();
        p.days.entry(day_of(at)).or_default().searches += 1;
        trim(&mut p);
    }

    /// Takes everything recorded so far.
    pub fn take(&self) -> Deltas {
        let p = std::mem::take(&mut *self.lock());
        Deltas {
            traffic: p
                .traffic
                .into_iter()
                .map(|((minute, group), c)| pb::TrafficDelta {
                    minute,
                    group: group.as_str().to_owned(),
                    requests: c.requests,
                    errors: c.errors,
                    latency_buckets: c.buckets,
                })
                .collect(),
            usage: p
                .days
                .into_iter()
                .map(|(day, d)| pb::UsageDelta { day, searches: d.searches, user_ids: d.users.into_iter().collect() })
                .collect(),
        }
    }

    /// Puts back deltas a flush could not deliver (added to what came since).
    pub fn restore(&self, deltas: Deltas) {
        let mut p = self.lock();
        for t in deltas.traffic {
            let Some(group) = [Group::Auth, Group::Documents, Group::Search, Group::Mcp, Group::Admin, Group::Ui]
                .into_iter()
                .find(|g| g.as_str() == t.group)
            else {
                continue;
            };
            let cell = p.traffic.entry((t.minute, group)).or_default();
            cell.requests += t.requests;
            cell.errors += t.errors;
            merge(&mut cell.buckets, &t.latency_buckets);
        }
        for u in deltas.usage {
            let d = p.days.entry(u.day).or_default();
            d.searches += u.searches;
            for user in u.user_ids {
                if d.users.len() < MAX_USERS_PER_DAY {
                    d.users.insert(user);
                }
            }
        }
        trim(&mut p);
    }
}

fn trim(p: &mut Pending) {
    while p.traffic.len() > MAX_CELLS {
        p.traffic.pop_first();
    }
    while p.days.len() > MAX_DAYS {
        p.days.pop_first();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn paths_fall_into_their_groups() {
        assert_eq!(group_of("/api/v1/search"), Some(Group::Search));
        assert_eq!(group_of("/api/v1/chunks/abc"), Some(Group::Search));
        assert_eq!(group_of("/api/v1/documents/x/content"), Some(Group::Documents));
        assert_eq!(group_of("/api/v1/auth/login"), Some(Group::Auth));
        assert_eq!(group_of("/mcp"), Some(Group::Mcp));
        for p in ["/api/v1/users", "/api/v1/keys/1", "/api/v1/audit", "/api/v1/tags", "/api/v1/monitor/traffic"] {
            assert_eq!(group_of(p), Some(Group::Admin), "{p}");
        }
        assert_eq!(group_of("/"), Some(Group::Ui));
        assert_eq!(group_of("/assets/index.js"), Some(Group::Ui));
        for p in ["/health", "/health/ready", "/metrics", "/api/v1/openapi.json", "/api/docs", "/api/v1/nothing"] {
            assert_eq!(group_of(p), None, "{p}");
        }
    }

    #[test]
    fn requests_add_up_per_minute_and_group_and_only_5xx_are_errors() {
        let r = Recorder::default();
        r.request(at(600), Group::Search, 200, Duration::from_millis(3), Some("u1"));
        r.request(at(659), Group::Search, 404, Duration::from_millis(40), Some("u1"));
        r.request(at(640), Group::Search, 503, Duration::from_millis(40), None);
        r.request(at(660), Group::Search, 200, Duration::from_millis(3), Some("u2"));
        r.request(at(600), Group::Auth, 401, Duration::from_millis(1), None);
        r.search(at(601));
        let d = r.take();
        let search: Vec<_> = d.traffic.iter().filter(|t| t.group == "search").collect();
        assert_eq!(search.len(), 2);
        assert_eq!((search[0].minute, search[0].requests, search[0].errors), (600, 3, 1));
        assert_eq!(search[0].latency_buckets[bucket_of(3.0)], 1);
        assert_eq!(search[0].latency_buckets[bucket_of(40.0)], 2);
        assert_eq!((search[1].minute, search[1].requests, search[1].errors), (660, 1, 0));
        let auth = d.traffic.iter().find(|t| t.group == "auth").unwrap();
        assert_eq!(auth.errors, 0, "a 4xx is no error");
        assert_eq!(d.usage.len(), 1);
        assert_eq!(d.usage[0].day, "1970-01-01");
        assert_eq!(d.usage[0].searches, 1);
        assert_eq!(d.usage[0].user_ids, vec!["u1".to_owned(), "u2".to_owned()]);
        assert!(r.take().is_empty(), "taking empties the accumulator");
    }

    #[test]
    fn undelivered_deltas_are_kept_for_the_next_flush() {
        let r = Recorder::default();
        r.request(at(600), Group::Mcp, 200, Duration::from_millis(3), Some("u1"));
        let failed = r.take();
        r.request(at(600), Group::Mcp, 500, Duration::from_millis(3), Some("u2"));
        r.restore(failed);
        let d = r.take();
        assert_eq!(d.traffic.len(), 1);
        assert_eq!((d.traffic[0].requests, d.traffic[0].errors), (2, 1));
        assert_eq!(d.traffic[0].latency_buckets.iter().sum::<u64>(), 2);
        assert_eq!(d.usage[0].user_ids.len(), 2);
    }

    #[test]
    fn what_is_kept_is_bounded() {
        let r = Recorder::default();
        for m in 0..(MAX_CELLS as u64 + 10) {
            r.request(at(m * 60), Group::Ui, 200, Duration::from_millis(1), None);
        }
        let d = r.take();
        assert_eq!(d.traffic.len(), MAX_CELLS);
        assert_eq!(d.traffic[0].minute, 600, "the oldest minutes went first");
    }
}
