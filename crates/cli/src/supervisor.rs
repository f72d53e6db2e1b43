//! Runs services as child processes: output prefixed by service name (and
//! kept in a log file per service), a crashed child restarted with
//! exponential backoff, and a clean stop (SIGTERM, then SIGKILL after the
//! grace period) when asked.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct ServiceSpec {
    pub name: &'static str,
    pub exe: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub log_file: PathBuf,
    /// Written with the child's pid at every (re)start.
    pub pid_file: PathBuf,
    /// How long the child may take to drain after SIGTERM.
    pub grace: Duration,
    pub color: u8,
}

const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// A child that ran this long is considered healthy: backoff starts over.
const STABLE_AFTER: Duration = Duration::from_secs(30);

fn prefix(spec: &ServiceSpec) -> String {
    if std::io::stdout().is_terminal() {
        format!("\x1b[{}m{:>8} |\x1b[0m", spec.color, spec.name)
    } else {
        format!("{:>8} |", spec.name)
    }
}

fn spawn(spec: &ServiceSpec) -> std::io::Result<Child> {
    let mut cmd = Command::new(&spec.exe);
    cmd.args(&spec.args)
        .envs(spec.env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // A service must not outlive `aidoc up`, even when it is killed with -9.
    #[allow(unsafe_code)]
    // SAFETY: the closure runs in the forked child before exec and only makes
    // the async-signal-safe prctl(PR_SET_PDEATHSIG) call.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM).map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn()?;
    let pfx = prefix(spec);
    for stream in [
        child.stdout.take().map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child.stderr.take().map(|s| Box::new(s) as _),
    ]
    .into_iter()
    .flatten()
    {
        let pfx = pfx.clone();
        let log_file = spec.log_file.clone();
        tokio::spawn(async move {
            let mut log = tokio::fs::OpenOptions::new().create(true).append(true).open(&log_file).await.ok();
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                println!("{pfx} {line}");
                if let Some(f) = log.as_mut() {
                    let _ = f.write_all(line.as_bytes()).await;
                    let _ = f.write_all(b"\n").await;
                }
            }
        });
    }
    if let Some(pid) = child.id() {
        let _ = std::fs::write(&spec.pid_file, pid.to_string());
    }
    Ok(child)
}

fn terminate(child: &Child) {
    if let Some(pid) = child.id() {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGTERM);
    }
}

/// Keeps `spec` running until `stop` is cancelled.
pub async fn supervise(spec: ServiceSpec, stop: CancellationToken) {
    let mut backoff = MIN_BACKOFF;
    loop {
        let started = Instant::now();
        let mut child = match spawn(&spec) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{} cannot start {}: {e}", prefix(&spec), spec.exe.display());
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(MAX_BACKOFF) => continue,
                }
            }
        };
        tokio::select! {
            status = child.wait() => {
                if stop.is_cancelled() {
                    return;
                }
                let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
                if started.elapsed() > STABLE_AFTER {
                    backoff = MIN_BACKOFF;
                }
                eprintln!("{} exited ({status}); restarting in {} ms", prefix(&spec), backoff.as_millis());
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            _ = stop.cancelled() => {
                terminate(&child);
                match tokio::time::timeout(spec.grace, child.wait()).await {
                    Ok(_) => {}
                    Err(_) => {
                        eprintln!("{} did not stop within {:?}; killing", prefix(&spec), spec.grace);
                        let _ = child.kill().await;
                    }
                }
                let _ = std::fs::remove_file(&spec.pid_file);
                return;
            }
        }
    }
}
