//! Generates the gRPC code from `proto/aidoc/**` with a vendored `protoc`,
//! so a fresh machine needs nothing installed (an explicit `$PROTOC` wins).

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("../../proto");
    if std::env::var_os("PROTOC").is_none() {
        let protoc = protoc_bin_vendored::protoc_bin_path()?;
        // SAFETY of intent: build scripts are single-threaded; this only affects this process.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("PROTOC", protoc);
        }
    }
    let files = [
        "aidoc/parser/v1/parser.proto",
        "aidoc/indexer/v1/indexer.proto",
        "aidoc/api/v1/catalog.proto",
        "aidoc/api/v1/jobs.proto",
        "aidoc/api/v1/identity.proto",
        "aidoc/api/v1/monitor.proto",
        "aidoc/common/v1/info.proto",
        "aidoc/backup/v1/backup.proto",
    ]
    .map(|f| root.join(f));
    let descriptor = PathBuf::from(std::env::var("OUT_DIR")?).join("aidoc_descriptor.bin");
    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor)
        .compile_protos(&files, std::slice::from_ref(&root))?;
    println!("cargo:rerun-if-changed={}", root.display());
    Ok(())
}
