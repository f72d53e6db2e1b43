//! Embeds the catalog and search migrations (the SQL files of aidoc-api and
//! aidoc-indexer) so that a restore can bring an older backup up to this
//! release's schema without depending on those services' crates. The list is
//! generated from the folders, so it cannot drift from what the services apply.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR");
    let out = std::env::var("OUT_DIR").expect("OUT_DIR");
    let mut code = String::new();
    for (constant, dir) in [("CATALOG", "../api/migrations"), ("SEARCH", "../indexer/migrations")] {
        let dir = Path::new(&manifest).join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        // Missing only in dependency-caching builds (cargo-chef's skeleton); the binary then refuses to restore.
        let Ok(entries) = std::fs::read_dir(&dir) else {
            println!("cargo:warning=no migrations folder {}: restores will be refused", dir.display());
            writeln!(code, "pub const {constant}: &[Migration] = &[];").unwrap();
            continue;
        };
        let mut files: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "sql")).collect();
        files.sort();
        writeln!(code, "pub const {constant}: &[Migration] = &[").unwrap();
        for path in files {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("utf-8 file name");
            let (version, name) = stem.split_once('_').unwrap_or_else(|| panic!("{stem}: expected VERSION_name.sql"));
            let version: i64 = version.parse().unwrap_or_else(|_| panic!("{stem}: the version is not a number"));
            let canonical = path.canonicalize().expect("canonical path");
            writeln!(
                code,
                "    Migration {{ version: {version}, name: {name:?}, sql: include_str!({:?}) }},",
                canonical.display().to_string()
            )
            .unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    std::fs::write(Path::new(&out).join("migrations.rs"), code).expect("write migrations.rs");
}
