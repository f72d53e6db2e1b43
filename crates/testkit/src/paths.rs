//! Where things are: the workspace, the target folder with the built
//! binaries, the shared corpus, caches.

use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

/// The folder of the running test binary's profile (`target/debug`).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/debug/deps/name-hash → target/debug
    exe.parent().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_default()
}

/// A built service binary (`aidoc-api`, …). Panics with what to run when it
/// is missing: `cargo test --workspace` builds every binary, `-p` does not.
pub fn binary(name: &str) -> PathBuf {
    let path = profile_dir().join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build --workspace --bins` (or `just test`) first",
        path.display()
    );
    path
}

/// A cache shared by test runs (PostgreSQL binaries, template cluster).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("AIDOC_TEST_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        profile_dir().parent().map(|t| t.join("testkit-cache")).unwrap_or_else(|| PathBuf::from("target/testkit-cache"))
    })
}

/// `../shared/corpus` next to the workspace, when present.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = workspace_root().parent()?.join("shared/corpus");
    dir.is_dir().then_some(dir)
}

/// The embedding model folder: `$AIDOC_EMBEDDING__MODEL_DIR`, else
/// `<workspace>/.aidoc/models` (where `scripts/fetch-model.sh` puts it, and
/// `scripts/test.sh` runs it first). Panics with the command to run when it
/// is missing: the indexer cannot work without its model.
pub fn model_dir() -> PathBuf {
    let dir = std::env::var_os("AIDOC_EMBEDDING__MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".aidoc/models"));
    assert!(
        dir.join("model.json").is_file(),
        "no embedding model in {}: run scripts/fetch-model.sh {} (scripts/test.sh does it first)",
        dir.display(),
        dir.display()
    );
    dir
}
