//! The nginx edge (`deploy/nginx/`) in front of two real gateway processes:
//! round-robin, failover without a failed GET when one gateway dies, and the
//! upload limit answered with the JSON error body.

use aidoc_testkit::service::{Launch, Signal, http_get};
use aidoc_testkit::{ServiceProcess, free_port, paths};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx_binary() -> Option<String> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .find(|p| Path::new(p).is_file())
        .map(|p| (*p).to_owned())
}

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
    let Some(nginx) = nginx_binary() else {
        assert!(std::env::var_os("CI").is_none(), "nginx is required in CI (scripts/install-tools.sh installs it)");
        eprintln!("skipped: nginx is not installed");
        return;
    };
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

    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("conf");
    let web = dir.path().join("web");
    std::fs::create_dir_all(&web).expect("web root");
    std::fs::write(web.join("index.html"), "<!doctype html><title>aidoc</title>").expect("index");
    let port = free_port().expect("port");
    let render = paths::workspace_root().join("deploy/nginx/render.sh");
    let mut cmd = Command::new("bash");
    cmd.arg(&render).arg(&conf).args(["--listen", &format!("127.0.0.1:{port}")]).arg("--root").arg(&web);
    for gw in &gateways {
        cmd.args(["--gateway", &gw.main_addr.to_string()]);
    }
    cmd.args(["--max-fails", "1", "--fail-timeout", "10s"]);
    let out = cmd.output().expect("render");
    assert!(out.status.success(), "render.sh: {}", String::from_utf8_lossy(&out.stderr));
    // nginx workers run as nobody when started as root: let them into the prefix.
    let _ = Command::new("chmod").args(["-R", "a+rX"]).arg(dir.path()).status();
    let prefix = format!("{}/", dir.path().display());
    let conf_file = conf.join("nginx.conf");
    let check = Command::new(&nginx)
        .args(["-t", "-p", &prefix, "-c"])
        .arg(&conf_file)
        .args(["-e", "stderr"])
        .output()
        .expect("nginx -t");
    assert!(check.status.success(), "nginx -t: {}", String::from_utf8_lossy(&check.stderr));
    let _edge = Nginx(
        Command::new(&nginx)
            .args(["-p", &prefix, "-c"])
            .arg(&conf_file)
            .args(["-e", "stderr", "-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx"),
    );
    let edge = format!("127.0.0.1:{port}");
    let started = Instant::now();
    while http_get(&format!("http://{edge}/nginx-health"), &[]).await.0 != 200 {
        assert!(started.elapsed() < Duration::from_secs(10), "nginx did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

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
