//! `MonitorService`: the figures behind the monitor page. Gateways add their
//! per-minute request deltas (summed here over every gateway instance); the
//! api samples the ingest queue and counts completed pages and chunks; reads
//! merge rows into the caller's step. Minute rows are kept 8 days, daily
//! rows 90 days.

use crate::db::{Failure, PgPool, conn, db_status};
use aidoc_common::monitor::{BUCKETS, merge, step_start};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use diesel::QueryableByName;
use diesel::sql_types::{Array, Date, Double, Int8, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::collections::BTreeMap;
use tonic::{Request, Response, Status};
use uuid::Uuid;

/// The route groups a gateway reports.
pub const GROUPS: [&str; 6] = ["auth", "documents", "search", "mcp", "admin", "ui"];
/// Longest window a read may ask for (7 days) and the most days of usage.
pub const MAX_WINDOW_SECONDS: u32 = 7 * 24 * 3600;
pub const MAX_DAYS: u32 = 90;
/// Most rows one `RecordTraffic` call may carry.
const MAX_DELTAS: usize = 10_000;
const MAX_USERS: usize = 100_000;

#[derive(Clone)]
pub struct Monitor {
    pool: PgPool,
}

impl Monitor {
    pub fn new(pool: PgPool) -> Self {
        Monitor { pool }
    }
}

/// Adds `pages` and `chunks` of a completed job to the current minute.
pub async fn record_completed(c: &mut AsyncPgConnection, pages: u32, chunks: u32) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO catalog.monitor_ingest (minute, pages_parsed, chunks_embedded)
         VALUES (date_trunc('minute', now()), $1, $2)
         ON CONFLICT (minute) DO UPDATE SET pages_parsed = monitor_ingest.pages_parsed + excluded.pages_parsed,
             chunks_embedded = monitor_ingest.chunks_embedded + excluded.chunks_embedded",
    )
    .bind::<Int8, _>(i64::from(pages))
    .bind::<Int8, _>(i64::from(chunks))
    .execute(c)
    .await
}

/// Records one sample of the queue in the current minute (the highest
/// sample of the minute is kept, also across api instances).
pub async fn sample_queue(pool: &PgPool, stats: &pb::QueueStatsResponse) -> Result<(), String> {
    let mut c = pool.get().await.map_err(|e| e.to_string())?;
    diesel::sql_query(
        "INSERT INTO catalog.monitor_ingest (minute, queued, oldest_queued_age_seconds)
         VALUES (date_trunc('minute', now()), $1, $2)
         ON CONFLICT (minute) DO UPDATE SET queued = greatest(monitor_ingest.queued, excluded.queued),
             oldest_queued_age_seconds = greatest(monitor_ingest.oldest_queued_age_seconds, excluded.oldest_queued_age_seconds)",
    )
    .bind::<Int8, _>(i64::try_from(stats.queued).unwrap_or(i64::MAX))
    .bind::<Double, _>(stats.oldest_queued_age_seconds)
    .execute(&mut c)
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Drops minute rows older than 8 days and daily rows older than 90 days.
pub async fn prune(pool: &PgPool) -> Result<usize, String> {
    let mut c = pool.get().await.map_err(|e| e.to_string())?;
    let mut n = 0;
    for sql in [
        "DELETE FROM catalog.monitor_traffic WHERE minute < now() - interval '8 days'",
        "DELETE FROM catalog.monitor_ingest WHERE minute < now() - interval '8 days'",
        "DELETE FROM catalog.monitor_usage WHERE day < (now() AT TIME ZONE 'UTC')::date - 90",
        "DELETE FROM catalog.monitor_active_users WHERE day < (now() AT TIME ZONE 'UTC')::date - 90",
    ] {
        n += diesel::sql_query(sql).execute(&mut c).await.map_err(|e| e.to_string())?;
    }
    Ok(n)
}

fn window(window_seconds: u32, step_seconds: u32) -> Result<(u32, u32), Status> {
    if window_seconds == 0 || window_seconds > MAX_WINDOW_SECONDS {
        return Err(ErrorCode::InvalidArgument.status(format!("window_seconds must be 1..={MAX_WINDOW_SECONDS}")));
    }
    if step_seconds < 60 || !step_seconds.is_multiple_of(60) || window_seconds / step_seconds > 10_000 {
        return Err(ErrorCode::InvalidArgument
            .status("step_seconds must be a whole number of minutes with at most 10000 steps in the window"));
    }
    Ok((window_seconds, step_seconds))
}

fn bucket_counts(raw: Vec<i64>) -> Vec<u64> {
    raw.into_iter().map(|n| n.max(0) as u64).collect()
}

#[derive(QueryableByName)]
struct TrafficRow {
    #[diesel(sql_type = Int8)]
    minute: i64,
    #[diesel(sql_type = Text)]
    route_group: String,
    #[diesel(sql_type = Int8)]
    requests: i64,
    #[diesel(sql_type = Int8)]
    errors: i64,
    #[diesel(sql_type = Array<Int8>)]
    latency_buckets: Vec<i64>,
}

#[derive(QueryableByName)]
struct IngestRow {
    #[diesel(sql_type = Int8)]
    minute: i64,
    #[diesel(sql_type = Int8)]
    queued: i64,
    #[diesel(sql_type = Double)]
    oldest_queued_age_seconds: f64,
    #[diesel(sql_type = Int8)]
    pages_parsed: i64,
    #[diesel(sql_type = Int8)]
    chunks_embedded: i64,
}

#[derive(QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = Text)]
    day: String,
    #[diesel(sql_type = Int8)]
    uploads: i64,
    #[diesel(sql_type = Int8)]
    searches: i64,
    #[diesel(sql_type = Int8)]
    active_users: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = Int8)]
    n: i64,
}

/// Folds minute rows into steps: requests, errors and histograms add up.
fn fold_traffic(rows: Vec<TrafficRow>, step: u32) -> Vec<pb::TrafficGroup> {
    let mut groups: BTreeMap<String, BTreeMap<i64, pb::TrafficPoint>> = BTreeMap::new();
    for r in rows {
        let t = step_start(r.minute, step);
        let p = groups.entry(r.route_group).or_default().entry(t).or_insert_with(|| pb::TrafficPoint {
            t,
            requests: 0,
            errors: 0,
            latency_buckets: vec![0; BUCKETS],
        });
        p.requests += r.requests.max(0) as u64;
        p.errors += r.errors.max(0) as u64;
        merge(&mut p.latency_buckets, &bucket_counts(r.latency_buckets));
    }
    GROUPS
        .iter()
        .map(|g| pb::TrafficGroup {
            group: (*g).to_owned(),
            points: groups.remove(*g).map(|m| m.into_values().collect()).unwrap_or_default(),
        })
        .collect()
}

/// Folds minute samples into steps: the queue's highest sample, the sum of the throughput.
fn fold_ingest(rows: Vec<IngestRow>, step: u32) -> Vec<pb::IngestPoint> {
    let mut points: BTreeMap<i64, pb::IngestPoint> = BTreeMap::new();
    for r in rows {
        let t = step_start(r.minute, step);
        let p = points.entry(t).or_insert_with(|| pb::IngestPoint { t, ..Default::default() });
        p.queued = p.queued.max(r.queued.max(0) as u64);
        p.oldest_queued_age_seconds = p.oldest_queued_age_seconds.max(r.oldest_queued_age_seconds);
        p.pages_parsed += r.pages_parsed.max(0) as u64;
        p.chunks_embedded += r.chunks_embedded.max(0) as u64;
    }
    points.into_values().collect()
}

async fn add_traffic(c: &mut AsyncPgConnection, d: &pb::TrafficDelta) -> diesel::QueryResult<usize> {
    let buckets: Vec<i64> = d.latency_buckets.iter().map(|&n| i64::try_from(n).unwrap_or(i64::MAX)).collect();
    diesel::sql_query(
        "INSERT INTO catalog.monitor_traffic (minute, route_group, requests, errors, latency_buckets)
         VALUES (to_timestamp($1), $2, $3, $4, $5)
         ON CONFLICT (minute, route_group) DO UPDATE SET
             requests = monitor_traffic.requests + excluded.requests,
             errors = monitor_traffic.errors + excluded.errors,
             latency_buckets = ARRAY(
                 SELECT coalesce(a, 0) + coalesce(b, 0)
                 FROM unnest(monitor_traffic.latency_buckets, excluded.latency_buckets) WITH ORDINALITY AS u(a, b, i)
                 ORDER BY i)",
    )
    .bind::<Double, _>(d.minute as f64)
    .bind::<Text, _>(&d.group)
    .bind::<Int8, _>(i64::try_from(d.requests).unwrap_or(i64::MAX))
    .bind::<Int8, _>(i64::try_from(d.errors).unwrap_or(i64::MAX))
    .bind::<Array<Int8>, _>(buckets)
    .execute(c)
    .await
}

async fn add_usage(
    c: &mut AsyncPgConnection,
    day: chrono::NaiveDate,
    u: &pb::UsageDelta,
    users: &[Uuid],
) -> diesel::QueryResult<()> {
    if u.searches > 0 {
        diesel::sql_query(
            "INSERT INTO catalog.monitor_usage (day, searches) VALUES ($1, $2)
             ON CONFLICT (day) DO UPDATE SET searches = monitor_usage.searches + excluded.searches",
        )
        .bind::<Date, _>(day)
        .bind::<Int8, _>(i64::try_from(u.searches).unwrap_or(i64::MAX))
        .execute(c)
        .await?;
    }
    if !users.is_empty() {
        diesel::sql_query(
            "INSERT INTO catalog.monitor_active_users (day, user_id, last_seen_at)
             SELECT $1, u, now() FROM unnest($2::uuid[]) AS u
             ON CONFLICT (day, user_id) DO UPDATE SET last_seen_at = greatest(monitor_active_users.last_seen_at, excluded.last_seen_at)",
        )
        .bind::<Date, _>(day)
        .bind::<Array<diesel::sql_types::Uuid>, _>(users)
        .execute(c)
        .await?;
    }
    Ok(())
}

fn check_delta(d: &pb::TrafficDelta) -> Result<(), Status> {
    if !GROUPS.contains(&d.group.as_str()) {
        return Err(ErrorCode::InvalidArgument.status(format!("unknown route group `{}`", d.group)));
    }
    if d.minute % 60 != 0 || d.minute <= 0 {
        return Err(ErrorCode::InvalidArgument.status("minute must be a positive multiple of 60"));
    }
    if d.latency_buckets.len() > BUCKETS || d.errors > d.requests {
        return Err(ErrorCode::InvalidArgument
            .status(format!("at most {BUCKETS} latency buckets, and errors must not exceed requests")));
    }
    Ok(())
}

#[tonic::async_trait]
impl pb::monitor_service_server::MonitorService for Monitor {
    async fn record_traffic(
        &self,
        request: Request<pb::RecordTrafficRequest>,
    ) -> Result<Response<pb::RecordTrafficResponse>, Status> {
        let req = request.into_inner();
        if req.traffic.len() > MAX_DELTAS || req.usage.len() > MAX_DELTAS {
            return Err(ErrorCode::TooLarge.status(format!("at most {MAX_DELTAS} deltas per call")));
        }
        req.traffic.iter().try_for_each(check_delta)?;
        let mut usage = Vec::with_capacity(req.usage.len());
        for u in &req.usage {
            let day = chrono::NaiveDate::parse_from_str(&u.day, "%Y-%m-%d")
                .map_err(|_| ErrorCode::InvalidArgument.status(format!("day `{}` is not YYYY-MM-DD", u.day)))?;
            if u.user_ids.len() > MAX_USERS {
                return Err(ErrorCode::TooLarge.status(format!("at most {MAX_USERS} users per day")));
            }
            let users =
                u.user_ids.iter().map(|id| crate::util::parse_id(id, "user_ids")).collect::<Result<Vec<_>, _>>()?;
            usage.push((day, u, users));
        }
        let mut c = conn(&self.pool).await?;
        c.transaction::<_, Failure, _>(async |c| {
            for d in &req.traffic {
                add_traffic(c, d).await?;
            }
            for (day, u, users) in &usage {
                add_usage(c, *day, u, users).await?;
            }
            Ok(())
        })
        .await?;
        Ok(Response::new(pb::RecordTrafficResponse {}))
    }

    async fn get_traffic(
        &self,
        request: Request<pb::GetTrafficRequest>,
    ) -> Result<Response<pb::GetTrafficResponse>, Status> {
        let req = request.into_inner();
        let (window, step) = window(req.window_seconds, req.step_seconds)?;
        let mut c = conn(&self.pool).await?;
        let rows: Vec<TrafficRow> = diesel::sql_query(
            "SELECT extract(epoch FROM minute)::int8 AS minute, route_group, requests, errors, latency_buckets
             FROM catalog.monitor_traffic WHERE minute >= now() - make_interval(secs => $1) ORDER BY minute",
        )
        .bind::<Double, _>(f64::from(window))
        .load(&mut c)
        .await
        .map_err(db_status)?;
        Ok(Response::new(pb::GetTrafficResponse { groups: fold_traffic(rows, step) }))
    }

    async fn get_ingest(
        &self,
        request: Request<pb::GetIngestRequest>,
    ) -> Result<Response<pb::GetIngestResponse>, Status> {
        let req = request.into_inner();
        let (window, step) = window(req.window_seconds, req.step_seconds)?;
        let mut c = conn(&self.pool).await?;
        let now = crate::jobs::queue_stats(&mut c).await.map_err(db_status)?;
        let rows: Vec<IngestRow> = diesel::sql_query(
            "SELECT extract(epoch FROM minute)::int8 AS minute, queued, oldest_queued_age_seconds, pages_parsed, chunks_embedded
             FROM catalog.monitor_ingest WHERE minute >= now() - make_interval(secs => $1) ORDER BY minute",
        )
        .bind::<Double, _>(f64::from(window))
        .load(&mut c)
        .await
        .map_err(db_status)?;
        Ok(Response::new(pb::GetIngestResponse {
            queued: now.queued,
            running: now.running,
            failed: now.failed,
            oldest_queued_age_seconds: now.oldest_queued_age_seconds,
            points: fold_ingest(rows, step),
        }))
    }

    async fn get_usage(&self, request: Request<pb::GetUsageRequest>) -> Result<Response<pb::GetUsageResponse>, Status> {
        let days = request.into_inner().days;
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(ErrorCode::InvalidArgument.status(format!("days must be 1..={MAX_DAYS}")));
        }
        let mut c = conn(&self.pool).await?;
        // Days are UTC days; uploads are the document versions created that
        // day that still exist.
        let rows: Vec<UsageRow> = diesel::sql_query(
            "WITH today AS (SELECT (now() AT TIME ZONE 'UTC')::date AS d),
                  days AS (SELECT (today.d - g)::date AS day FROM today, generate_series(0, $1 - 1) AS g)
             SELECT to_char(days.day, 'YYYY-MM-DD') AS day,
                    (SELECT count(*) FROM catalog.document_versions v
                      WHERE v.created_at >= days.day::timestamp AT TIME ZONE 'UTC'
                        AND v.created_at < (days.day + 1)::timestamp AT TIME ZONE 'UTC') AS uploads,
                    coalesce((SELECT u.searches FROM catalog.monitor_usage u WHERE u.day = days.day), 0) AS searches,
                    (SELECT count(*) FROM catalog.monitor_active_users a WHERE a.day = days.day) AS active_users
             FROM days ORDER BY days.day",
        )
        .bind::<diesel::sql_types::Int4, _>(days as i32)
        .load(&mut c)
        .await
        .map_err(db_status)?;
        let active: CountRow = diesel::sql_query(
            "SELECT count(DISTINCT user_id) AS n FROM catalog.monitor_active_users
             WHERE last_seen_at > now() - interval '24 hours'",
        )
        .get_result(&mut c)
        .await
        .map_err(db_status)?;
        Ok(Response::new(pb::GetUsageResponse {
            active_users_24h: active.n.max(0) as u64,
            days: rows
                .into_iter()
                .map(|r| pb::UsageDay {
                    day: r.day,
                    uploads: r.uploads.max(0) as u64,
                    searches: r.searches.max(0) as u64,
                    active_users: r.active_users.max(0) as u64,
                })
                .collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(minute: i64, group: &str, requests: i64, buckets: Vec<i64>) -> TrafficRow {
        TrafficRow { minute, route_group: group.into(), requests, errors: 1, latency_buckets: buckets }
    }

    #[test]
    fn minutes_fold_into_steps_and_every_group_is_listed() {
        let rows = vec![
            row(600, "search", 2, vec![2]),
            row(660, "search", 3, vec![0, 3]),
            row(720, "search", 1, vec![1]),
            row(600, "auth", 1, vec![1]),
        ];
        let groups = fold_traffic(rows, 120);
        assert_eq!(groups.iter().map(|g| g.group.as_str()).collect::<Vec<_>>(), GROUPS);
        let search = &groups[2];
        assert_eq!(search.points.len(), 2);
        assert_eq!((search.points[0].t, search.points[0].requests, search.points[0].errors), (600, 5, 2));
        assert_eq!(&search.points[0].latency_buckets[..2], &[2, 3]);
        assert_eq!((search.points[1].t, search.points[1].requests), (720, 1));
        assert!(groups[4].points.is_empty());
    }

    #[test]
    fn windows_and_steps_are_checked() {
        assert!(window(3600, 60).is_ok());
        assert!(window(0, 60).is_err());
        assert!(window(MAX_WINDOW_SECONDS + 1, 60).is_err());
        assert!(window(3600, 30).is_err());
        assert!(window(3600, 90).is_err());
    }
}
