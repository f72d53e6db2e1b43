//! The nginx edge (`deploy/nginx/`) in front of two real gateway processes:
//! round-robin, failover without a failed GET when one gateway dies, and the
//! upload limit answered with the JSON error body.

use aidoc_testkit::ServiceProcess;
use aidoc_testkit::nginx::{Edge, binary_or_skip};
use aidoc_testkit::service::{Launch, Signal, http_get};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// Requests served for `route` according to the gateway's own metrics.
async fn served(gw: &ServiceProcess, route: &str) -> u64 {
    let (_, metrics) = http_get(&format!("{}/metrics", gw.admin_url()), &[]).await;
    metrics
        .lines()
        .filter(|l| l.starts_with("aidoc_http_requests_total") && l.contains(&format!("route=\"{route}\"")))
        .filter_map(|l| l.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()))
        .sum::<f64>() as u64
}

fn raw_request(addr: &str, request: &[u8], body_bytes: usize) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect edge");
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    s.write_all(request).expect("write head");
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < body_bytes {
        if s.write_all(&chunk).is_err() {
            break; // the edge may answer and close before the body is sent
        }
        sent += chunk.len();
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn nginx_edge_balances_fails_over_and_enforces_the_upload_limit() {
    let Some(nginx) = binary_or_skip() else { return };
    // Two gateways; their backends are absent, which does not matter for
    // what the edge does (health/live and error bodies are the gateway's own).
    let mut gateways = Vec::new();
    let objects = tempfile::tempdir().expect("tempdir");
    for _ in 0..2 {
        let mut gw =
            Launch::new("gateway").env("AIDOC_STORAGE__FS__ROOT", objects.path().display().to_string()).spawn();
        let started = Instant::now();
        while http_get(&format!("{}/health/live", gw.url()), &[]).await.0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(20), "{}", gw.drain_output().join("\n"));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        gateways.push(gw);
    }

    let web = tempfile::tempdir().expect("tempdir");
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>aidoc</title>").expect("index");
    let addrs: Vec<_> = gateways.iter().map(|g| g.main_addr).collect();
    let edge_process = Edge::start(&nginx, &addrs, web.path(), 1, "10s").await;
    let edge = edge_process.addr.clone();

    // Round-robin: both gateways serve a share of the requests.
    let before = [served(&gateways[0], "/health/live").await, served(&gateways[1], "/health/live").await];
    for _ in 0..20 {
        let (status, body) = http_get(&format!("http://{edge}/health/live"), &[]).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("\"service\":\"gateway\""), "{body}");
    }
    let after = [served(&gateways[0], "/health/live").await, served(&gateways[1], "/health/live").await];
    let shares = [after[0] - before[0], after[1] - before[1]];
    assert_eq!(shares[0] + shares[1], 20, "{shares:?}");
    assert!(shares[0] >= 8 && shares[1] >= 8, "not balanced: {shares:?}");

    // Failover: one gateway dies; not one GET fails.
    gateways[1].signal(Signal::SIGKILL);
    let _ = gateways[1].wait_exit(Duration::from_secs(5)).await;
    for i in 0..30 {
        let (status, body) = http_get(&format!("http://{edge}/health/live"), &[]).await;
        assert_eq!(status, 200, "GET {i} after the kill failed: {body}");
    }

    // The upload limit: over 100 MiB (plus the multipart envelope) is refused
    // at the edge with the JSON error body, before the body is read.
    let too_big = 102 * 1024 * 1024;
    let head = format!(
        "POST /api/v1/documents HTTP/1.1\r\nHost: {edge}\r\nContent-Type: application/octet-stream\r\nContent-Length: {too_big}\r\nConnection: close\r\n\r\n"
    );
    let response = raw_request(&edge, head.as_bytes(), 256 * 1024);
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"code\":\"too_large\""), "{response}");
    // A body within the limit passes the edge and reaches a gateway.
    let small = b"hello";
    let head = format!(
        "POST /api/v1/documents HTTP/1.1\r\nHost: {edge}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        small.len()
    );
    let mut req = head.into_bytes();
    req.extend_from_slice(small);
    let response = raw_request(&edge, &req, 0);
    assert!(!response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(response.contains("\"code\":"), "the gateway answered with its JSON error body: {response}");
}
