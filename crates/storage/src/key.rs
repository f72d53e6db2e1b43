//! Object keys: what both backends accept.

use crate::StorageError;

/// The longest key, in bytes (S3's own limit).
pub const MAX_KEY_LEN: usize = 1024;

/// File names that [`crate::FsStore`] uses for its temporary files; no key segment may start with it.
pub(crate) const TMP_PREFIX: &str = ".aidoc-tmp-";

/// Checks a key: not empty, at most [`MAX_KEY_LEN`] bytes, no leading `/`, no NUL, no empty, `.` or `..`
/// segment (so no `//` and no trailing `/`), no segment starting with `.aidoc-tmp-` (reserved).
pub fn validate_key(key: &str) -> Result<(), StorageError> {
    let reason = if key.is_empty() {
        "empty"
    } else if key.len() > MAX_KEY_LEN {
        "longer than 1024 bytes"
    } else if key.starts_with('/') {
        "starts with `/`"
    } else if key.contains('\0') {
        "contains NUL"
    } else if key.split('/').any(|s| s == "..") {
        "has a `..` segment"
    } else if key.split('/').any(|s| s == ".") {
        "has a `.` segment"
    } else if key.split('/').any(str::is_empty) {
        "has an empty segment (`//` or a trailing `/`)"
    } else if key.split('/').any(|s| s.starts_with(TMP_PREFIX)) {
        "uses the reserved `.aidoc-tmp-` prefix"
    } else {
        return Ok(());
    };
    Err(StorageError::InvalidKey { key: truncate(key), reason })
}

/// Checks a listing prefix: may be empty or end with `/`, otherwise the key rules that matter for paths.
pub(crate) fn validate_prefix(prefix: &str) -> Result<(), StorageError> {
    let reason = if prefix.len() > MAX_KEY_LEN {
        "longer than 1024 bytes"
    } else if prefix.starts_with('/') {
        "starts with `/`"
    } else if prefix.contains('\0') {
        "contains NUL"
    } else if prefix.split('/').any(|s| s == ".." || s == ".") {
        "has a `.` or `..` segment"
    } else {
        return Ok(());
    };
    Err(StorageError::InvalidKey { key: truncate(prefix), reason })
}

fn truncate(key: &str) -> String {
    if key.len() <= 120 {
        return key.to_string();
    }
    let mut end = 120;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &key[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for ok in ["a", "blobs/sha256/ab/cd/abcd", "staging/0f", "a.b/c..d/.e", "spaces are fine/ü"] {
            assert!(validate_key(ok).is_ok(), "{ok}");
        }
        let long = "x".repeat(MAX_KEY_LEN + 1);
        for bad in ["", "/a", "a/../b", "..", "a/./b", "a//b", "a/", "a\0b", &long, "x/.aidoc-tmp-1"] {
            let err = validate_key(bad).unwrap_err();
            assert!(matches!(err, StorageError::InvalidKey { .. }), "{bad:?}: {err}");
        }
        assert!(validate_key(&"x".repeat(MAX_KEY_LEN)).is_ok());
        let shown = validate_key(&long).unwrap_err().to_string();
        assert!(shown.len() < 250, "{shown}");
    }

    #[test]
    fn prefixes() {
        for ok in ["", "blobs/", "blobs/sha256/a", "staging"] {
            assert!(validate_prefix(ok).is_ok(), "{ok}");
        }
        for bad in ["/x", "a/../", "..", "a\0"] {
            assert!(validate_prefix(bad).is_err(), "{bad:?}");
        }
    }
}
