//! The real service binaries as child processes on free ports.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub use nix::sys::signal::Signal;

pub use aidoc_cli::postgres::free_port;

/// A running `aidoc-<service>` process; killed when dropped.
pub struct ServiceProcess {
    pub name: String,
    pub child: Child,
    pub main_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    output: mpsc::UnboundedReceiver<String>,
    pub log: Vec<String>,
}

/// What to start: `aidoc-<name>` with `env` on top of free ports.
pub struct Launch {
    pub name: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
}

impl Launch {
    pub fn new(name: &str) -> Launch {
        let mut env = BTreeMap::new();
        env.insert("AIDOC_LOG__LEVEL".into(), "info".into());
        env.insert("AIDOC_SHUTDOWN_GRACE".into(), "10s".into());
        Launch { name: name.into(), args: vec![], env }
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn exe(&self) -> PathBuf {
        crate::paths::binary(&format!("aidoc-{}", self.name))
    }

    /// Starts the process (does not wait for readiness).
    pub fn spawn(self) -> ServiceProcess {
        let main_port = self.env.get("AIDOC_LISTEN_ADDR").and_then(|a| a.parse::<SocketAddr>().ok()).map(|a| a.port());
        let main_addr = SocketAddr::from(([127, 0, 0, 1], main_port.unwrap_or_else(|| free_port().expect("port"))));
        let admin_addr = SocketAddr::from(([127, 0, 0, 1], free_port().expect("port")));
        let mut cmd = Command::new(self.exe());
        cmd.args(&self.args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("AIDOC_LISTEN_ADDR", main_addr.to_string())
            .env("AIDOC_ADMIN_ADDR", admin_addr.to_string())
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn aidoc-{}: {e}", self.name));
        let (tx, rx) = mpsc::unbounded_channel();
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
            child.stderr.take().map(|s| Box::new(s) as _),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            let name = self.name.clone();
            tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if std::env::var_os("AIDOC_TEST_VERBOSE").is_some() {
                        eprintln!("[{name}] {line}");
                    }
                    let _ = tx.send(line);
                }
            });
        }
        ServiceProcess { name: self.name, child, main_addr, admin_addr, output: rx, log: vec![] }
    }
}

impl ServiceProcess {
    pub fn url(&self) -> String {
        format!("http://{}", self.main_addr)
    }

    pub fn admin_url(&self) -> String {
        format!("http://{}", self.admin_addr)
    }

    pub fn pid(&self) -> i32 {
        self.child.id().map(|p| p as i32).unwrap_or_default()
    }

    /// Collects the output printed so far into `self.log`.
    pub fn drain_output(&mut self) -> &[String] {
        while let Ok(line) = self.output.try_recv() {
            self.log.push(line);
        }
        &self.log
    }

    /// Waits until `/health/ready` answers 200; panics with the output otherwise.
    pub async fn wait_ready(&mut self, timeout: Duration) {
        let started = Instant::now();
        let admin = self.admin_addr;
        loop {
            let probe = tokio::task::spawn_blocking(move || {
                aidoc_common::healthcheck::probe(admin, Duration::from_millis(500))
            })
            .await;
            let last = match probe {
                Ok(Ok(())) => return,
                Ok(Err(e)) => e,
                Err(e) => e.to_string(),
            };
            if let Ok(Some(status)) = self.child.try_wait() {
                let out = self.drain_output().join("\n");
                panic!("aidoc-{} exited with {status} before ready:\n{out}", self.name);
            }
            if started.elapsed() > timeout {
                let out = self.drain_output().join("\n");
                panic!("aidoc-{} not ready within {timeout:?}: {last}\n{out}", self.name);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends a signal (SIGTERM to drain, SIGKILL to crash).
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), signal);
    }

    /// Waits for the process to exit and returns its exit code.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => status.code(),
            _ => None,
        }
    }
}

/// GETs `url` with a plain HTTP/1.1 client; returns (status, body).
pub async fn http_get(url: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let url = url.to_owned();
    let headers: Vec<(String, String)> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::task::spawn_blocking(move || blocking_get(&url, &headers)).await.unwrap_or_else(|e| (0, e.to_string()))
}

fn blocking_get(url: &str, headers: &[(String, String)]) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = match std::net::TcpStream::connect(host) {
        Ok(s) => s,
        Err(e) => return (0, e.to_string()),
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut req = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    if let Err(e) = stream.write_all(req.as_bytes()) {
        return (0, e.to_string());
    }
    let mut buf = Vec::new();
    let _ = stream.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}
