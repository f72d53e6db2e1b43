//! The nginx edge of `deploy/nginx/` (Debian's nginx) rendered for gateways
//! on local ports and run as a child process; stopped when dropped.

use crate::service::http_get;
use crate::{free_port, paths};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The nginx binary, if installed. CI installs it (scripts/install-tools.sh);
/// elsewhere a test without it says so and skips.
pub fn binary() -> Option<String> {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .find(|p| Path::new(p).is_file())
        .map(|p| (*p).to_owned())
}

/// `None` (skip, with a message) when nginx is missing outside CI; in CI a
/// missing nginx fails the test.
pub fn binary_or_skip() -> Option<String> {
    let found = binary();
    if found.is_none() {
        assert!(std::env::var_os("CI").is_none(), "nginx is required in CI (scripts/install-tools.sh installs it)");
        eprintln!("skipped: nginx is not installed");
    }
    found
}

/// A running edge; `addr` is `127.0.0.1:<port>`.
pub struct Edge {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for Edge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Edge {
    /// Renders the edge config with `deploy/nginx/render.sh` for `gateways`
    /// (passive health: `max_fails` failures within `fail_timeout`) and
    /// `web_root` as the static root, checks it with `nginx -t` and starts
    /// nginx; returns once `/nginx-health` answers.
    pub async fn start(
        nginx: &str,
        gateways: &[SocketAddr],
        web_root: &Path,
        max_fails: u32,
        fail_timeout: &str,
    ) -> Edge {
        let dir = tempfile::tempdir().expect("tempdir");
        let conf = dir.path().join("conf");
        let port = free_port().expect("port");
        let mut cmd = Command::new("bash");
        cmd.arg(paths::workspace_root().join("deploy/nginx/render.sh"))
            .arg(&conf)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--root")
            .arg(web_root);
        for gw in gateways {
            cmd.args(["--gateway", &gw.to_string()]);
        }
        cmd.args(["--max-fails", &max_fails.to_string(), "--fail-timeout", fail_timeout]);
        let out = cmd.output().expect("render.sh");
        assert!(out.status.success(), "render.sh: {}", String::from_utf8_lossy(&out.stderr));
        // nginx workers run as nobody when started as root: let them into the prefix.
        let _ = Command::new("chmod").args(["-R", "a+rX"]).arg(dir.path()).status();
        let prefix = format!("{}/", dir.path().display());
        let conf_file = conf.join("nginx.conf");
        let check = Command::new(nginx)
            .args(["-t", "-p", &prefix, "-c"])
            .arg(&conf_file)
            .args(["-e", "stderr"])
            .output()
            .expect("nginx -t");
        assert!(check.status.success(), "nginx -t: {}", String::from_utf8_lossy(&check.stderr));
        let child = Command::new(nginx)
            .args(["-p", &prefix, "-c"])
            .arg(&conf_file)
            .args(["-e", "stderr", "-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx");
        let edge = Edge { child, addr: format!("127.0.0.1:{port}"), _dir: dir };
        let started = Instant::now();
        while http_get(&format!("{}/nginx-health", edge.url()), &[]).await.0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(10), "nginx did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        edge
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}
