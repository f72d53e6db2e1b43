//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while loading a model or embedding text.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The model folder, or its manifest, is not there: the setup step has not been run.
    #[error("no embedding model in {}: {hint}", dir.display())]
    ModelMissing {
        /// The folder that was looked in.
        dir: PathBuf,
        /// What to do about it (run `scripts/fetch-model.sh DIR`).
        hint: String,
    },
    /// `model.json` is unreadable, malformed, or describes something this crate cannot run.
    #[error("invalid model manifest {}: {reason}", path.display())]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A model file differs from the checksum its manifest records (corrupt, truncated or replaced).
    #[error(
        "model file {} does not match its manifest (sha256 {actual}, expected {expected}); \
         re-run scripts/fetch-model.sh",
        file.display()
    )]
    Checksum {
        /// The file that failed verification.
        file: PathBuf,
        /// The checksum the manifest records.
        expected: String,
        /// The checksum of the file on disk.
        actual: String,
    },
    /// Reading a model file failed.
    #[error("reading {}: {source}", path.display())]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The tokenizer could not be loaded or failed on an input.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// onnxruntime failed to load, to build the session, or to run it.
    #[error("onnxruntime: {0}")]
    Runtime(String),
    /// The configuration is invalid; every problem found is listed.
    #[error("invalid embedding configuration: {}", .0.join("; "))]
    Config(Vec<String>),
    /// The embedding endpoint could not be reached, or timed out.
    #[error("embedding endpoint {url}: {message}")]
    Transport {
        /// The endpoint URL.
        url: String,
        /// The transport error.
        message: String,
    },
    /// The embedding endpoint answered with an error status.
    #[error("embedding endpoint {url} returned HTTP {status}: {body}")]
    Status {
        /// The endpoint URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// The embedding endpoint answered 2xx with something that is not a valid embeddings response.
    #[error("embedding endpoint {url} sent an invalid response: {reason}")]
    InvalidResponse {
        /// The endpoint URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// `Result` with [`EmbedError`].
pub type Result<T, E = EmbedError> = std::result::Result<T, E>;
