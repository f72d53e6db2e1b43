//! `pg_dump` and `pg_restore` as child processes.
//!
//! Connection settings reach the tools through `PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE` and `PGPASSWORD` in the
//! child's environment, never on its command line (which every local user can read in `ps`). Inherited `PG*`
//! variables are removed so that only the configured database is reached. Output is streamed: `pg_dump`'s stdout
//! is a byte stream the caller hashes into the store, its stderr is collected for the error message; the async
//! runtime never blocks on either.

use crate::error::{BackupError, Result};
use aidoc_common::Secret;
use bytes::Bytes;
use futures::Stream;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

/// Inherited variables that would redirect or alter a tool's connection.
const PG_VARIABLES: [&str; 14] = [
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGSSLMODE",
    "PGCONNECT_TIMEOUT",
    "PGAPPNAME",
    "PGTARGETSESSIONATTRS",
];

/// Where the client tools are and how to reach one database.
#[derive(Clone)]
pub struct PgTools {
    bin_dir: PathBuf,
}

/// Connection settings of one database, for a child's environment.
#[derive(Clone)]
pub struct Conn {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    password: Secret,
    sslmode: Option<&'static str>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}:{}/{}", self.user, self.host, self.port, self.dbname)
    }
}

impl Conn {
    pub fn from_url(url: &Secret) -> Result<Conn> {
        use tokio_postgres::config::{Host, SslMode};
        let cfg: tokio_postgres::Config =
            url.expose().parse().map_err(|e| BackupError::Invalid(format!("database url: {e}")))?;
        let host = match cfg.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let password = cfg.get_password().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
        let sslmode = match cfg.get_ssl_mode() {
            SslMode::Disable => Some("disable"),
            SslMode::Require => Some("require"),
            _ => None,
        };
        Ok(Conn {
            host,
            port: cfg.get_ports().first().copied().unwrap_or(5432),
            user: cfg.get_user().unwrap_or("postgres").to_owned(),
            dbname: cfg.get_dbname().unwrap_or("postgres").to_owned(),
            password: Secret::new(password),
            sslmode,
        })
    }

    /// The same server, another database.
    pub fn with_dbname(&self, dbname: &str) -> Conn {
        Conn { dbname: dbname.to_owned(), ..self.clone() }
    }

    /// A URL for tokio-postgres (never logged: it holds the password).
    pub fn url(&self) -> Secret {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect::<String>()
        };
        let auth = if self.password.expose().is_empty() {
            enc(&self.user)
        } else {
            format!("{}:{}", enc(&self.user), enc(self.password.expose()))
        };
        let host = if self.host.starts_with('/') { format!("?host={}", enc(&self.host)) } else { String::new() };
        let at = if host.is_empty() { format!("{}:{}", self.host, self.port) } else { String::new() };
        Secret::new(format!("postgres://{auth}@{at}/{}{host}", enc(&self.dbname)))
    }

    fn apply(&self, cmd: &mut Command) {
        for v in PG_VARIABLES {
            cmd.env_remove(v);
        }
        cmd.env("PGHOST", &self.host)
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", &self.user)
            .env("PGDATABASE", &self.dbname)
            .env("PGCONNECT_TIMEOUT", "10")
            .env("PGAPPNAME", "aidoc-backup");
        if !self.password.expose().is_empty() {
            cmd.env("PGPASSWORD", self.password.expose());
        }
        if let Some(mode) = self.sslmode {
            cmd.env("PGSSLMODE", mode);
        }
    }
}

/// A running `pg_dump`: its stdout as a stream, and a handle to wait for the outcome.
pub struct Dump {
    pub stdout: std::pin::Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
    pub finish: DumpHandle,
}

pub struct DumpHandle {
    child: Child,
    stderr: tokio::task::JoinHandle<String>,
    tool: String,
}

impl DumpHandle {
    /// Waits for the process; an error carries its stderr.
    pub async fn wait(mut self) -> Result<()> {
        let status = self.child.wait().await.map_err(|e| BackupError::io(format!("waiting for {}", self.tool), e))?;
        let stderr = self.stderr.await.unwrap_or_default();
        if status.success() {
            if !stderr.trim().is_empty() {
                tracing::warn!(tool = %self.tool, stderr = %stderr.trim(), "tool reported warnings");
            }
            Ok(())
        } else {
            Err(BackupError::Tool { tool: self.tool, status: status.to_string(), stderr: tail(&stderr) })
        }
    }

    /// Stops the process (on an upload failure).
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.trim().lines().collect();
    let from = lines.len().saturating_sub(20);
    let text = lines[from..].join("\n");
    if text.is_empty() { "(no output)".into() } else { text }
}

impl PgTools {
    /// Tools in `bin_dir`, or on `PATH` when it is empty.
    pub fn new(bin_dir: &Path) -> PgTools {
        PgTools { bin_dir: bin_dir.to_path_buf() }
    }

    fn path(&self, tool: &str) -> PathBuf {
        if self.bin_dir.as_os_str().is_empty() { PathBuf::from(tool) } else { self.bin_dir.join(tool) }
    }

    fn command(&self, tool: &str) -> Command {
        let mut cmd = Command::new(self.path(tool));
        cmd.stdin(Stdio::null()).kill_on_drop(true);
        cmd
    }

    fn spawn(&self, tool: &str, cmd: &mut Command) -> Result<Child> {
        cmd.spawn().map_err(|source| BackupError::ToolMissing {
            tool: tool.into(),
            path: self.path(tool).display().to_string(),
            source,
        })
    }

    /// `pg_dump --version`, e.g. `pg_dump (PostgreSQL) 18.6`.
    pub async fn version(&self, tool: &str) -> Result<String> {
        let mut cmd = self.command(tool);
        cmd.arg("--version").stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = self.spawn(tool, &mut cmd)?;
        let out = child.wait_with_output().await.map_err(|e| BackupError::io(format!("running {tool}"), e))?;
        if !out.status.success() {
            return Err(BackupError::Tool {
                tool: tool.into(),
                status: out.status.to_string(),
                stderr: tail(&String::from_utf8_lossy(&out.stderr)),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    }

    /// Starts `pg_dump` of the `schemas` in custom format at compression `level`, inside the exported `snapshot`
    /// (so the dump and the blob manifest see the same data).
    pub fn dump(&self, conn: &Conn, schemas: &[&str], snapshot: &str, level: u8) -> Result<Dump> {
        let mut cmd = self.command("pg_dump");
        cmd.args(["--format=custom", "--no-owner", "--no-privileges", "--no-password"])
            .arg(format!("--compress={level}"))
            .arg(format!("--snapshot={snapshot}"));
        for s in schemas {
            cmd.arg(format!("--schema={s}"));
        }
        conn.apply(&mut cmd);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = self.spawn("pg_dump", &mut cmd)?;
        let stdout = child.stdout.take().ok_or_else(|| BackupError::Invalid("pg_dump stdout missing".into()))?;
        let stderr = collect(child.stderr.take());
        Ok(Dump {
            stdout: Box::pin(tokio_util::io::ReaderStream::with_capacity(stdout, 256 * 1024)),
            finish: DumpHandle { child, stderr, tool: "pg_dump".into() },
        })
    }

    /// `pg_restore` of a custom-format `file` into `conn`'s database, `jobs` in parallel. Stops at the first error.
    pub async fn restore(&self, conn: &Conn, file: &Path, jobs: u32) -> Result<()> {
        let mut cmd = self.command("pg_restore");
        cmd.args(["--no-owner", "--no-privileges", "--exit-on-error", "--no-password"])
            .arg(format!("--jobs={}", jobs.max(1)))
            .arg(format!("--dbname={}", conn.dbname))
            .arg(file);
        conn.apply(&mut cmd);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = self.spawn("pg_restore", &mut cmd)?;
        let stderr = collect(child.stderr.take());
        DumpHandle { child, stderr, tool: "pg_restore".into() }.wait().await
    }
}

/// Reads a child's stderr to the end on its own task (so a chatty tool never blocks on a full pipe).
fn collect(stderr: Option<tokio::process::ChildStderr>) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let mut text = String::new();
        if let Some(mut s) = stderr {
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf).await;
            text = String::from_utf8_lossy(&buf).into_owned();
        }
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_settings_come_from_the_url_and_round_trip() {
        let c = Conn::from_url(&Secret::new("postgres://aidoc:p%40ss%20word@db.example:6543/library")).unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.user.as_str(), c.dbname.as_str()),
            ("db.example", 6543, "aidoc", "library")
        );
        assert_eq!(c.password.expose(), "p@ss word");
        assert_eq!(format!("{c:?}"), "aidoc@db.example:6543/library", "Debug never shows the password");
        let back: tokio_postgres::Config = c.with_dbname("scratch_1").url().expose().parse().unwrap();
        assert_eq!(back.get_password(), Some(&b"p@ss word"[..]));
        assert_eq!(back.get_dbname(), Some("scratch_1"));
    }

    #[tokio::test]
    async fn the_password_reaches_the_child_by_environment_only() {
        // `sh -c` stands in for a client tool: it prints its arguments and PGPASSWORD.
        let c = Conn::from_url(&Secret::new("postgres://u:hunter2@127.0.0.1:5432/db")).unwrap();
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo \"args=$0 pw=$PGPASSWORD host=$PGHOST db=$PGDATABASE svc=$PGSERVICE\"", "x"]);
        cmd.env("PGSERVICE", "elsewhere");
        c.apply(&mut cmd);
        let out = cmd.output().await.unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "args=x pw=hunter2 host=127.0.0.1 db=db svc=");
    }

    #[tokio::test]
    async fn a_missing_tool_says_where_to_point() {
        let tools = PgTools::new(Path::new("/nonexistent/pg/bin"));
        let err = tools.version("pg_dump").await.unwrap_err();
        assert!(matches!(err, BackupError::ToolMissing { .. }), "{err}");
        assert!(err.to_string().contains("AIDOC_BACKUP__PG_BIN_DIR"), "{err}");
    }
}
