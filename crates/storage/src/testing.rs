//! A real S3 server for tests: the `s3s-fs` binary (s3s 0.14.1) on a free loopback port over a temporary folder.
//!
//! The binary is `$AIDOC_S3S_FS`, else `s3s-fs` on `PATH`, else `<workspace>/target/testkit-cache/s3s/bin/s3s-fs`
//! (`$AIDOC_TEST_CACHE/s3s/bin/s3s-fs` when that is set), which is installed there with `cargo install` on first
//! use, once, under a file lock. `scripts/install-tools.sh` installs it into the same place ahead of time.

use crate::{S3Config, S3Store};
use aidoc_common::secret::Secret;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The s3s-fs version the tests are written against (0.15+ needs a newer Rust).
pub const S3S_FS_VERSION: &str = "0.14.1";
pub const ACCESS_KEY: &str = "aidoc-test-access";
pub const SECRET_KEY: &str = "aidoc-test-secret-key";

/// A running s3s-fs; killed when dropped, and by the kernel when the test process dies.
pub struct S3Server {
    pub port: u16,
    child: Child,
    data: tempfile::TempDir,
}

impl S3Server {
    /// Starts a server on a fresh folder and waits until it answers HTTP. Panics (test helper) when it cannot.
    pub fn start() -> S3Server {
        let bin = s3s_fs_binary();
        let data = tempfile::Builder::new().prefix("aidoc-s3s-").tempdir().expect("temporary folder for s3s-fs");
        let mut last_error = String::new();
        // A free port can be taken by someone else before s3s-fs binds it: try a few.
        for _ in 0..5 {
            let port = free_port();
            let mut cmd = Command::new(&bin);
            cmd.arg("--host")
                .arg("127.0.0.1")
                .arg("--port")
                .arg(port.to_string())
                .arg("--access-key")
                .arg(ACCESS_KEY)
                .arg("--secret-key")
                .arg(SECRET_KEY)
                .arg(data.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let mut child =
                spawn_tied_to_process(cmd).unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            match wait_until_answering(port, &mut child) {
                Ok(()) => return S3Server { port, child, data },
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = e;
                }
            }
        }
        panic!("s3s-fs did not start: {last_error}");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The folder s3s-fs stores buckets in (one sub-folder per bucket).
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// A configuration for `bucket` on this server with the right keys and path-style URLs.
    pub fn config(&self, bucket: &str) -> S3Config {
        S3Config {
            endpoint: self.endpoint(),
            region: "us-east-1".into(),
            bucket: bucket.into(),
            access_key: Secret::new(ACCESS_KEY),
            secret_key: Secret::new(SECRET_KEY),
            path_style: true,
        }
    }

    /// A store on `bucket`, created when missing.
    pub async fn store(&self, bucket: &str) -> S3Store {
        let store = S3Store::new(&self.config(bucket)).expect("S3 store");
        store.ensure_bucket().await.unwrap_or_else(|e| panic!("creating bucket {bucket}: {e}"));
        store
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

/// Waits until the server answers an HTTP request (any status).
fn wait_until_answering(port: u16, child: &mut Child) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("s3s-fs exited with {status} (port {port} taken?)"));
        }
        if answers_http(addr) {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err(format!("no answer on {addr} after 20 s"));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn answers_http(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}

/// Spawns `cmd` from one long-lived thread with a parent-death signal. The signal follows the thread that
/// spawned the child, so spawning from short-lived test or blocking-pool threads would kill servers early.
fn spawn_tied_to_process(cmd: Command) -> std::io::Result<Child> {
    type Request = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    let sender = SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("s3s-fs-spawner".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    set_parent_death_signal(&mut cmd);
                    let _ = reply.send(cmd.spawn());
                }
                // The sender lives in a static: this loop ends only with the process.
                loop {
                    std::thread::park();
                }
            })
            .expect("spawner thread");
        Mutex::new(tx)
    });
    let (reply_tx, reply_rx) = mpsc::channel();
    sender
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send((cmd, reply_tx))
        .map_err(|_| std::io::Error::other("spawner thread gone"))?;
    reply_rx.recv().map_err(|_| std::io::Error::other("spawner thread gone"))?
}

#[allow(unsafe_code)]
fn set_parent_death_signal(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: prctl is async-signal-safe and changes only the child's own state between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL).map_err(std::io::Error::from)
        });
    }
}

/// Finds the s3s-fs binary, installing it into the cache on first use.
pub fn s3s_fs_binary() -> PathBuf {
    static FOUND: OnceLock<PathBuf> = OnceLock::new();
    FOUND
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("AIDOC_S3S_FS").filter(|p| !p.is_empty()) {
                let path = PathBuf::from(path);
                assert!(path.is_file(), "AIDOC_S3S_FS={} is not a file", path.display());
                return path;
            }
            if let Some(path) = on_path("s3s-fs") {
                return path;
            }
            let root = cache_dir().join("s3s");
            let bin = root.join("bin/s3s-fs");
            if !bin.is_file() {
                install(&root, &bin);
            }
            bin
        })
        .clone()
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(name)).find(|p| p.is_file())
}

/// `$AIDOC_TEST_CACHE`, else `<workspace>/target/testkit-cache` (shared with aidoc-testkit's caches).
fn cache_dir() -> PathBuf {
    std::env::var_os("AIDOC_TEST_CACHE").filter(|p| !p.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        workspace.canonicalize().unwrap_or(workspace).join("target/testkit-cache")
    })
}

/// `cargo install --locked s3s-fs@0.14.1 --features binary --root <root>`, once across parallel test processes.
fn install(root: &Path, bin: &Path) {
    use nix::fcntl::{Flock, FlockArg};
    std::fs::create_dir_all(root).unwrap_or_else(|e| panic!("creating {}: {e}", root.display()));
    let lock_path = root.join("install.lock");
    let file = std::fs::File::create(&lock_path).unwrap_or_else(|e| panic!("{}: {e}", lock_path.display()));
    // Released by the kernel even if this process dies mid-install.
    let _lock = Flock::lock(file, FlockArg::LockExclusive)
        .unwrap_or_else(|(_, e)| panic!("locking {}: {e}", lock_path.display()));
    if bin.is_file() {
        return; // another test process installed it while this one waited
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "aidoc-storage tests: installing s3s-fs {S3S_FS_VERSION} into {} (once, a few minutes); \
         scripts/install-tools.sh does this ahead of time",
        root.display()
    );
    let status = Command::new(cargo)
        .args(["install", "--locked", &format!("s3s-fs@{S3S_FS_VERSION}"), "--features", "binary", "--root"])
        .arg(root)
        // Build in cargo's own temporary folder, not in the target folder the test run may still hold locked.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .stdin(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("running cargo install s3s-fs: {e}"));
    assert!(
        status.success() && bin.is_file(),
        "cargo install s3s-fs@{S3S_FS_VERSION} failed ({status}); set AIDOC_S3S_FS to an s3s-fs binary instead"
    );
}
