use crate::support::{READY, migrated_db, start_stack};
use aidoc_proto::parser::v1 as parser_pb;
use aidoc_testkit::otlp::OtlpReceiver;
use aidoc_testkit::service::{Launch, http_get};
use std::time::{Duration, Instant};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_reflection::pb::v1::{
    ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
    server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
};

async fn grpc_channel(url: &str) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(url.to_owned()).expect("url").connect().await.expect("connect")
}

async fn reflected_services(url: &str) -> Vec<String> {
    let mut client = ServerReflectionClient::new(grpc_channel(url).await);
    let req = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = client.server_reflection_info(tokio_stream::iter([req])).await.expect("reflection").into_inner();
    let resp = stream.message().await.expect("message").expect("one response");
    match resp.message_response {
        Some(MessageResponse::ListServicesResponse(l)) => l.service.into_iter().map(|s| s.name).collect(),
        other => panic!("unexpected reflection answer {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_service_reaches_ready_and_serves_health_metrics_grpc_health_and_reflection() {
    let _serial = crate::support::one_at_a_time().await;
    let stack = start_stack(&[]).await;
    for (proc, service) in [
        (&stack.parser, "aidoc.parser.v1.ParserService"),
        (&stack.api, "aidoc.api.v1.CatalogService"),
        (&stack.indexer, "aidoc.indexer.v1.IndexerService"),
        (&stack.backup, "aidoc.backup.v1.BackupAdmin"),
    ] {
        let (status, body) = http_get(&format!("{}/health/live", proc.admin_url()), &[]).await;
        assert_eq!(status, 200, "{} live: {body}", proc.name);
        assert!(body.contains(&format!("\"service\":\"{}\"", proc.name)), "{body}");

        let (status, body) = http_get(&format!("{}/health/ready", proc.admin_url()), &[]).await;
        assert_eq!(status, 200, "{} ready: {body}", proc.name);

        let mut health = HealthClient::new(grpc_channel(&proc.url()).await);
        for name in ["", service] {
            let r = health.check(HealthCheckRequest { service: name.into() }).await.expect("health check").into_inner();
            assert_eq!(r.status(), ServingStatus::Serving, "{} {name:?}", proc.name);
        }
        let services = reflected_services(&proc.url()).await;
        assert!(services.iter().any(|s| s == service), "{} reflects {services:?}", proc.name);
        assert!(services.iter().any(|s| s == "grpc.health.v1.Health"), "{services:?}");
        assert!(services.iter().any(|s| s == "aidoc.common.v1.Info"), "{} reflects {services:?}", proc.name);

        let (status, metrics) = http_get(&format!("{}/metrics", proc.admin_url()), &[]).await;
        assert_eq!(status, 200);
        assert!(
            metrics.contains(&format!("aidoc_build_info{{service=\"{}\"", proc.name))
                || metrics.contains("aidoc_build_info{"),
            "{metrics}"
        );
        assert!(metrics.contains("process_resident_memory_bytes"), "{} metrics lack process figures", proc.name);
    }

    // A real call shows up in the RED metrics of the service that served it.
    let mut parser =
        parser_pb::parser_service_client::ParserServiceClient::new(grpc_channel(&stack.parser.url()).await);
    let formats = parser.formats(parser_pb::FormatsRequest {}).await.expect("formats").into_inner();
    assert!(formats.formats.iter().any(|f| f.format == parser_pb::Format::Pdf as i32));
    assert_eq!(formats.limits.map(|l| l.max_bytes), Some(100 * 1024 * 1024));
    let (_, metrics) = http_get(&format!("{}/metrics", stack.parser.admin_url()), &[]).await;
    assert!(
        metrics.lines().any(|l| l.starts_with("aidoc_grpc_requests_total")
            && l.contains("/aidoc.parser.v1.ParserService/Formats")
            && l.contains("code=\"Ok\"")),
        "{metrics}"
    );

    // The gateway: health on both ports, system status from every backend, JSON errors.
    let (status, body) = http_get(&format!("{}/health/ready", stack.gateway.admin_url()), &[]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = http_get(&format!("{}/health", stack.gateway.url()), &[]).await;
    assert_eq!(status, 200, "{body}");
    let (auth, token) = stack.admin_header();
    let (status, body) = http_get(&format!("{}/api/v1/system/status", stack.gateway.url()), &[(auth, &token)]).await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["status"], "ok", "{body}");
    for s in v["services"].as_array().expect("services") {
        assert_eq!(s["status"], "serving", "{body}");
    }
    let (status, body) = http_get(&format!("{}/api/v1/nothing-here", stack.gateway.url()), &[(auth, &token)]).await;
    assert_eq!(status, 404);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json error body");
    assert_eq!(v["code"], "not_found");
    let (_, metrics) = http_get(&format!("{}/metrics", stack.gateway.admin_url()), &[]).await;
    assert!(
        metrics.lines().any(|l| l.starts_with("aidoc_http_requests_total")
            && l.contains("route=\"/api/v1/system/status\"")
            && l.contains("status=\"200\"")),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_config_exits_64_listing_every_problem() {
    let mut api = Launch::new("api")
        .env("AIDOC_DATABASE__MAX_CONNECTIONS", "many")
        .env("AIDOC_JOBS__MAX_ATTEMPTS", "0")
        .env("AIDOC_LISTEN_ADDR", "not-an-address")
        .env("AIDOC_LOG__FORMAT", "xml")
        .spawn();
    let code = api.wait_exit(Duration::from_secs(20)).await;
    assert_eq!(code, Some(64));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = api.drain_output().join("\n");
    for expected in ["AIDOC_DATABASE__MAX_CONNECTIONS", "AIDOC_LISTEN_ADDR", "AIDOC_LOG__FORMAT"] {
        assert!(out.contains(expected), "missing {expected} in:\n{out}");
    }
    // The values that could be read are validated too once the parse errors are fixed.
    let mut api = Launch::new("api").env("AIDOC_JOBS__MAX_ATTEMPTS", "0").spawn();
    assert_eq!(api.wait_exit(Duration::from_secs(20)).await, Some(64));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = api.drain_output().join("\n");
    assert!(out.contains("AIDOC_DATABASE__URL: required"), "{out}");
    assert!(out.contains("AIDOC_JOBS__MAX_ATTEMPTS: must be at least 1"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_database_makes_readiness_503_with_the_reason_and_no_crash() {
    let closed = aidoc_testkit::free_port().expect("port");
    let mut api =
        Launch::new("api").env("AIDOC_DATABASE__URL", format!("postgres://aidoc:x@127.0.0.1:{closed}/aidoc")).spawn();
    let started = Instant::now();
    loop {
        let (status, body) = http_get(&format!("{}/health/ready", api.admin_url()), &[]).await;
        // while it starts, readiness answers 503 "starting"; once the database check has failed, "degraded"
        if status == 503 && body.contains("\"degraded\"") {
            assert!(body.contains("\"database\""), "{body}");
            break;
        }
        assert!(status == 503 || status == 0, "ready without a database: {status} {body}");
        assert!(started.elapsed() < READY, "readiness never reported degraded: {status} {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, _) = http_get(&format!("{}/health/live", api.admin_url()), &[]).await;
    assert_eq!(status, 200, "alive while the dependency is down");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(api.child.try_wait().expect("wait").is_none(), "the service must not exit");
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_turns_readiness_503_first_and_finishes_in_flight_requests() {
    let _serial = crate::support::one_at_a_time().await;
    let mut parser = Launch::new("parser").spawn();
    parser.wait_ready(READY).await;
    let mut client = parser_pb::parser_service_client::ParserServiceClient::new(grpc_channel(&parser.url()).await);

    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let body = b"# Drain test\n\nThis request was in flight when SIGTERM arrived.\n".to_vec();
    tx.send(parser_pb::ParseRequest {
        msg: Some(parser_pb::parse_request::Msg::Header(parser_pb::ParseHeader {
            file_name: "drain.md".into(),
            declared_type: "text/markdown".into(),
            declared_size: body.len() as u64,
        })),
    })
    .await
    .expect("send header");
    let call = tokio::spawn(async move { client.parse(tokio_stream::wrappers::ReceiverStream::new(rx)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;

    parser.signal(nix::sys::signal::Signal::SIGTERM);
    let started = Instant::now();
    loop {
        let (status, body) = http_get(&format!("{}/health/ready", parser.admin_url()), &[]).await;
        if status == 503 {
            assert!(body.contains("draining"), "{body}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "readiness never turned 503");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(parser.child.try_wait().expect("wait").is_none(), "still draining the in-flight request");

    tx.send(parser_pb::ParseRequest { msg: Some(parser_pb::parse_request::Msg::Chunk(body)) })
        .await
        .expect("send body");
    drop(tx);
    let mut stream = call.await.expect("join").expect("the in-flight call succeeds").into_inner();
    let mut text = String::new();
    while let Some(msg) = stream.message().await.expect("stream") {
        if let Some(parser_pb::parse_response::Msg::Page(p)) = msg.msg {
            text.extend(p.blocks.into_iter().map(|b| b.text + "\n"));
        }
    }
    assert!(text.contains("in flight when SIGTERM arrived"), "{text}");
    assert_eq!(parser.wait_exit(Duration::from_secs(15)).await, Some(0), "clean exit after draining");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_request_is_one_trace_across_gateway_and_api() {
    let _serial = crate::support::one_at_a_time().await;
    let receiver = OtlpReceiver::start().await;
    let endpoint = receiver.endpoint();
    let stack = start_stack(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint), ("OTEL_BSP_SCHEDULE_DELAY", "100")]).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = "00f067aa0ba902b7";
    let traceparent = format!("00-{trace_id}-{parent}-01");
    let (auth, token) = stack.admin_header();
    let (status, body) = http_get(
        &format!("{}/api/v1/system/status", stack.gateway.url()),
        &[("traceparent", &traceparent), (auth, &token)],
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let started = Instant::now();
    loop {
        let spans: Vec<_> = receiver.spans().into_iter().filter(|s| s.trace_id == trace_id).collect();
        let gateway = spans.iter().find(|s| s.service == "aidoc-gateway" && s.parent_span_id == parent);
        if let Some(gw) = gateway {
            let downstream: Vec<_> =
                spans.iter().filter(|s| s.service == "aidoc-api" && s.parent_span_id == gw.span_id).collect();
            if !downstream.is_empty() {
                assert!(downstream.iter().any(|s| s.name.contains("grpc.health.v1.Health/Check")), "{downstream:?}");
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no joined trace; received: {:#?}", receiver.spans());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_are_idempotent_and_guarded() {
    let db = migrated_db().await;
    for svc in ["api", "indexer"] {
        let mut run = Launch::new(svc).arg("migrate").env("AIDOC_DATABASE__URL", db.url.clone()).spawn();
        assert_eq!(run.wait_exit(Duration::from_secs(30)).await, Some(0), "{}", run.drain_output().join("\n"));
    }
    let client = db.client().await;
    let n: i64 = client.query_one("SELECT count(*) FROM catalog.schema_migrations", &[]).await.expect("count").get(0);
    assert_eq!(n, aidoc_api::migrations::MIGRATIONS.len() as i64);
    let tables: i64 = client
        .query_one("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'catalog' AND table_name IN ('documents', 'ingest_jobs', 'users', 'api_keys', 'audit_events')", &[])
        .await
        .expect("tables")
        .get(0);
    assert_eq!(tables, 5);
    // A migration edited after release is refused, and nothing runs.
    client.execute("UPDATE catalog.schema_migrations SET checksum = 'edited'", &[]).await.expect("tamper");
    let mut run = Launch::new("api").arg("migrate").env("AIDOC_DATABASE__URL", db.url.clone()).spawn();
    assert_eq!(run.wait_exit(Duration::from_secs(30)).await, Some(1));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(run.drain_output().join("\n").contains("was changed after it was applied"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_healthcheck_subcommand_reports_readiness_by_exit_code() {
    let mut parser = Launch::new("parser").spawn();
    parser.wait_ready(READY).await;
    let exe = aidoc_testkit::paths::binary("aidoc-parser");
    let ready = std::process::Command::new(&exe)
        .arg("healthcheck")
        .env("AIDOC_ADMIN_ADDR", parser.admin_addr.to_string())
        .output()
        .expect("run");
    assert_eq!(ready.status.code(), Some(0), "{}", String::from_utf8_lossy(&ready.stderr));
    let closed = aidoc_testkit::free_port().expect("port");
    let down = std::process::Command::new(&exe)
        .arg("healthcheck")
        .env("AIDOC_ADMIN_ADDR", format!("127.0.0.1:{closed}"))
        .output()
        .expect("run");
    assert_eq!(down.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&down.stderr).contains("not ready"));

    // Readiness that fails a dependency check is "not ready" too.
    let mut api =
        Launch::new("api").env("AIDOC_DATABASE__URL", format!("postgres://aidoc:x@127.0.0.1:{closed}/aidoc")).spawn();
    let api_exe = aidoc_testkit::paths::binary("aidoc-api");
    let started = Instant::now();
    loop {
        let out = std::process::Command::new(&api_exe)
            .arg("healthcheck")
            .env("AIDOC_ADMIN_ADDR", api.admin_addr.to_string())
            .env("AIDOC_DATABASE__URL", "postgres://x@127.0.0.1/x")
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if err.contains("503") {
            assert_eq!(out.status.code(), Some(1));
            assert!(err.contains("database"), "{err}");
            break;
        }
        assert!(started.elapsed() < READY, "{err}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    api.signal(nix::sys::signal::Signal::SIGTERM);
    assert_eq!(api.wait_exit(Duration::from_secs(15)).await, Some(0));
}
