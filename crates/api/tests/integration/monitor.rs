//! MonitorService against the real binary and PostgreSQL: deltas from
//! several gateway instances add up (requests, errors, each latency bucket,
//! searches; users once per day), bad deltas are refused whole, and old rows
//! are pruned.

use crate::support::{Api, code_of};
use aidoc_common::monitor::{BUCKETS, p95};
use aidoc_proto::ErrorCode;
use aidoc_proto::api::v1 as pb;
use aidoc_proto::api::v1::monitor_service_client::MonitorServiceClient;
use tonic::transport::Channel;

fn monitor(api: &Api) -> MonitorServiceClient<Channel> {
    MonitorServiceClient::new(api.channel.clone())
}

fn now_minute() -> i64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    now / 60 * 60
}

fn delta(minute: i64, group: &str, requests: u64, errors: u64, buckets: &[(usize, u64)]) -> pb::TrafficDelta {
    let mut latency_buckets = vec![0; BUCKETS];
    for &(i, n) in buckets {
        latency_buckets[i] = n;
    }
    pb::TrafficDelta { minute, group: group.into(), requests, errors, latency_buckets }
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

const USER_A: &str = "0190a0a0-0000-7000-8000-00000000000a";
const USER_B: &str = "0190a0a0-0000-7000-8000-00000000000b";

#[tokio::test(flavor = "multi_thread")]
async fn deltas_of_several_gateways_add_up_bucket_by_bucket() {
    let api = Api::start(&[]).await;
    let m = now_minute();
    // Gateway one: 80 fast searches in this minute, one an error; gateway
    // two: 20 slow ones in the same minute, and one the minute before.
    let one = pb::RecordTrafficRequest {
        traffic: vec![delta(m, "search", 80, 1, &[(0, 80)])],
        usage: vec![pb::UsageDelta { day: today(), searches: 80, user_ids: vec![USER_A.into()] }],
    };
    let two = pb::RecordTrafficRequest {
        traffic: vec![delta(m, "search", 20, 0, &[(9, 20)]), delta(m - 60, "auth", 1, 0, &[(3, 1)])],
        usage: vec![pb::UsageDelta { day: today(), searches: 20, user_ids: vec![USER_A.into(), USER_B.into()] }],
    };
    monitor(&api).record_traffic(one).await.expect("gateway one");
    monitor(&api).record_traffic(two).await.expect("gateway two");

    let t = monitor(&api)
        .get_traffic(pb::GetTrafficRequest { window_seconds: 3600, step_seconds: 60 })
        .await
        .expect("traffic")
        .into_inner();
    let names: Vec<&str> = t.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, ["auth", "documents", "search", "mcp", "admin", "ui"]);
    let search = &t.groups[2].points;
    assert_eq!(search.len(), 1, "{search:?}");
    assert_eq!((search[0].t, search[0].requests, search[0].errors), (m, 100, 1));
    assert_eq!(search[0].latency_buckets[0], 80);
    assert_eq!(search[0].latency_buckets[9], 20);
    assert_eq!(search[0].latency_buckets.iter().sum::<u64>(), 100);
    // The merged p95 lies in the slow bucket (500, 1000] ms.
    let p = p95(&search[0].latency_buckets).unwrap();
    assert!((p - 875.0).abs() < 1e-6, "{p}");
    assert_eq!(t.groups[0].points.len(), 1);

    // A two-minute step folds both minutes of one group into one point.
    let wide = monitor(&api)
        .get_traffic(pb::GetTrafficRequest { window_seconds: 7200, step_seconds: 7200 })
        .await
        .expect("traffic")
        .into_inner();
    let total: u64 = wide.groups.iter().flat_map(|g| &g.points).map(|p| p.requests).sum();
    assert_eq!(total, 101);

    let u = monitor(&api).get_usage(pb::GetUsageRequest { days: 3 }).await.expect("usage").into_inner();
    assert_eq!(u.days.len(), 3);
    let last = u.days.last().unwrap();
    assert_eq!((last.day.as_str(), last.searches, last.active_users), (today().as_str(), 100, 2));
    assert_eq!(u.days[0].searches + u.days[1].searches, 0);
    assert_eq!(u.active_users_24h, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_deltas_and_ranges_are_refused_and_change_nothing() {
    let api = Api::start(&[]).await;
    let m = now_minute();
    let cases = [
        vec![delta(m, "search", 1, 0, &[]), delta(m, "nonsense", 1, 0, &[])],
        vec![delta(m + 7, "search", 1, 0, &[])],
        vec![delta(m, "search", 1, 2, &[])],
        vec![pb::TrafficDelta {
            minute: m,
            group: "ui".into(),
            requests: 1,
            errors: 0,
            latency_buckets: vec![1; BUCKETS + 1],
        }],
    ];
    for traffic in cases {
        let r = monitor(&api).record_traffic(pb::RecordTrafficRequest { traffic, usage: vec![] }).await;
        assert_eq!(code_of(r), ErrorCode::InvalidArgument);
    }
    let bad_user = pb::UsageDelta { day: today(), searches: 5, user_ids: vec!["not-a-uuid".into()] };
    let r = monitor(&api).record_traffic(pb::RecordTrafficRequest { traffic: vec![], usage: vec![bad_user] }).await;
    assert_eq!(code_of(r), ErrorCode::InvalidArgument);
    let bad_day = pb::UsageDelta { day: "26/11/2026".into(), searches: 5, user_ids: vec![] };
    let r = monitor(&api).record_traffic(pb::RecordTrafficRequest { traffic: vec![], usage: vec![bad_day] }).await;
    assert_eq!(code_of(r), ErrorCode::InvalidArgument);

    let t = monitor(&api)
        .get_traffic(pb::GetTrafficRequest { window_seconds: 3600, step_seconds: 60 })
        .await
        .unwrap()
        .into_inner();
    assert!(t.groups.iter().all(|g| g.points.is_empty()), "a refused call stores nothing: {t:?}");
    let u = monitor(&api).get_usage(pb::GetUsageRequest { days: 1 }).await.unwrap().into_inner();
    assert_eq!(u.days[0].searches, 0);

    for (window_seconds, step_seconds) in [(0, 60), (3600, 30), (3600, 90), (8 * 24 * 3600, 3600)] {
        let r = monitor(&api).get_traffic(pb::GetTrafficRequest { window_seconds, step_seconds }).await;
        assert_eq!(code_of(r), ErrorCode::InvalidArgument, "{window_seconds}/{step_seconds}");
    }
    for days in [0, 91] {
        assert_eq!(code_of(monitor(&api).get_usage(pb::GetUsageRequest { days }).await), ErrorCode::InvalidArgument);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_past_retention_are_pruned() {
    let api = Api::start(&[]).await;
    let m = now_minute();
    let old_day = (chrono::Utc::now() - chrono::Duration::days(120)).format("%Y-%m-%d").to_string();
    monitor(&api)
        .record_traffic(pb::RecordTrafficRequest {
            traffic: vec![delta(m - 9 * 24 * 3600, "ui", 3, 0, &[]), delta(m, "ui", 2, 0, &[])],
            usage: vec![
                pb::UsageDelta { day: old_day.clone(), searches: 4, user_ids: vec![USER_A.into()] },
                pb::UsageDelta { day: today(), searches: 1, user_ids: vec![] },
            ],
        })
        .await
        .expect("record");
    let url = aidoc_common::Secret::new(api.db.url.clone());
    let pool = aidoc_api::db::pool(&url, &aidoc_common::db::DatabaseConfig::default(), "monitor-test").unwrap();
    // The api prunes at start and every 5 minutes; this runs it now.
    aidoc_api::monitor::prune(&pool).await.expect("prune");
    let (client, conn) = tokio_postgres::connect(&api.db.url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let traffic: i64 =
        client.query_one("SELECT sum(requests)::int8 FROM catalog.monitor_traffic", &[]).await.unwrap().get(0);
    assert_eq!(traffic, 2);
    let days: i64 = client.query_one("SELECT count(*) FROM catalog.monitor_usage", &[]).await.unwrap().get(0);
    assert_eq!(days, 1);
    let users: i64 = client.query_one("SELECT count(*) FROM catalog.monitor_active_users", &[]).await.unwrap().get(0);
    assert_eq!(users, 0, "the old day's user is gone");
}
