use aidoc_testkit::service::http_get;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};

fn admin_ports(data: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(data.join("run/admin-ports"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once('=').map(|(a, b)| (a.to_owned(), b.to_owned())))
        .collect()
}

fn pid_of(data: &Path, service: &str) -> Option<i32> {
    std::fs::read_to_string(data.join(format!("run/{service}.pid"))).ok()?.trim().parse().ok()
}

/// `aidoc up` from nothing: provisions PostgreSQL, migrates, starts every
/// service; a service killed with SIGKILL is back and ready within 5 s;
/// Ctrl-C stops everything, the database included.
#[tokio::test(flavor = "multi_thread")]
async fn up_runs_the_stack_restarts_crashed_services_and_stops_cleanly() {
    let _serial = crate::support::one_at_a_time().await;
    let data = tempfile::tempdir().expect("tempdir");
    // Reuse the binaries the test kit already installed.
    let _ = aidoc_testkit::TestPostgres::shared();
    let cache = aidoc_testkit::paths::cache_dir().join("postgres");
    let port = aidoc_testkit::free_port().expect("port");
    let bin_dir = aidoc_testkit::paths::profile_dir();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_aidoc"))
        .args(["up", "--auto-ports", "--port", &port.to_string()])
        .arg("--data-dir")
        .arg(data.path())
        .arg("--cache-dir")
        .arg(&cache)
        .arg("--bin-dir")
        .arg(&bin_dir)
        .env_remove("DATABASE_URL")
        .env_remove("AIDOC_ADMIN_PASSWORD")
        .env_remove("AIDOC_ADMIN_PASSWORD_FILE")
        .env_remove("AIDOC_AUTH__JWT_SECRET")
        .env("AIDOC_EMBEDDING__MODEL_DIR", aidoc_testkit::paths::model_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn aidoc up");
    let mut out = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let err = child.stderr.take().expect("stderr");
    let errors = tokio::spawn(async move {
        let mut lines = BufReader::new(err).lines();
        let mut all = Vec::new();
        while let Ok(Some(l)) = lines.next_line().await {
            all.push(l);
        }
        all
    });
    let mut printed = Vec::new();
    let ready_line = tokio::time::timeout(Duration::from_secs(120), async {
        while let Ok(Some(line)) = out.next_line().await {
            if line.starts_with("aidoc is ready:") {
                return Some(line);
            }
            printed.push(line);
        }
        None
    })
    .await
    .ok()
    .flatten();
    let Some(ready_line) = ready_line else {
        let _ = child.start_kill();
        panic!("aidoc up never became ready:\n{}", errors.await.unwrap_or_default().join("\n"));
    };
    assert!(ready_line.contains(&format!("http://127.0.0.1:{port}/")), "{ready_line}");
    // Keep draining stdout so the children never block on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = out.next_line().await {} });

    // The first admin's generated password was printed once, before the banner.
    let admin_line = printed.iter().find(|l| l.starts_with("first admin created")).expect("first admin line");
    let password = admin_line.split("password: ").nth(1).expect("a generated password").trim().to_owned();
    assert_eq!(password.len(), 20, "{admin_line}");
    let (status, body) = http_get(&format!("http://127.0.0.1:{port}/api/v1/system/status"), &[]).await;
    assert_eq!(status, 401, "no credentials: {body}");
    let token = crate::support::login(&format!("http://127.0.0.1:{port}"), "admin", &password).await["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let bearer = format!("Bearer {token}");
    let (status, body) =
        http_get(&format!("http://127.0.0.1:{port}/api/v1/system/status"), &[("authorization", &bearer)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    // The web UI: the checkout's built web/dist at `/`, or how to build it.
    let (status, body) = http_get(&format!("http://127.0.0.1:{port}/library"), &[]).await;
    if aidoc_testkit::paths::workspace_root().join("web/dist/index.html").is_file() {
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("<div id=\"app\">"), "{body}");
    } else {
        let (status, body) = http_get(&format!("http://127.0.0.1:{port}/"), &[]).await;
        assert_eq!(status, 503, "{body}");
        assert!(body.contains("npm run build"), "{body}");
    }

    let admins = admin_ports(data.path());
    for service in ["parser", "api", "indexer", "backup", "gateway"] {
        let before = pid_of(data.path(), service).expect("pid file");
        let killed_at = Instant::now();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(before), nix::sys::signal::Signal::SIGKILL).expect("kill -9");
        let admin = admins.get(service).expect("admin port").clone();
        loop {
            let now = pid_of(data.path(), service);
            if now.is_some_and(|p| p != before) {
                let (status, _) = http_get(&format!("http://{admin}/health/ready"), &[]).await;
                if status == 200 {
                    break;
                }
            }
            assert!(killed_at.elapsed() < Duration::from_secs(5), "{service} not back and ready within 5 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        eprintln!("{service}: restarted and ready in {} ms", killed_at.elapsed().as_millis());
    }

    // The gateway's channels reconnected to every restarted peer by themselves.
    let started = Instant::now();
    loop {
        let (status, body) =
            http_get(&format!("http://127.0.0.1:{port}/api/v1/system/status"), &[("authorization", &bearer)]).await;
        if status == 200 && body.contains("\"status\":\"ok\"") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "peers not reconnected: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let pid = child.id().expect("pid") as i32;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGINT).expect("ctrl-c");
    let status =
        tokio::time::timeout(Duration::from_secs(60), child.wait()).await.expect("stops in time").expect("status");
    assert!(status.success(), "aidoc up exit: {status}");
    assert!(!data.path().join("postgres/postmaster.pid").exists(), "the database was stopped");
    for service in ["parser", "api", "indexer", "backup", "gateway"] {
        assert!(pid_of(data.path(), service).is_none(), "{service} left running");
    }
    let log = errors.await.unwrap_or_default().join("\n");
    assert!(log.contains("postgres stopped"), "{log}");
}
