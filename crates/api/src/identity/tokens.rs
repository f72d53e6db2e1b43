//! Refresh tokens and API keys: 256 random bits each, stored only as their
//! SHA-256 (a fast hash is right for high-entropy secrets: there is nothing
//! to guess).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use sha2::{Digest, Sha256};

/// What every API key starts with, so that leaked keys are recognisable
/// (secret scanners) and told apart from access tokens.
pub const KEY_PREFIX: &str = "aidoc_";
/// Hex characters of the key's public part after [`KEY_PREFIX`].
const KEY_ID_CHARS: usize = 8;
/// The longest string accepted as a key before hashing.
pub const MAX_KEY_LEN: usize = 128;

/// 32 random bytes, base64url without padding (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new API key: (`aidoc_1a2b3c4d_<43 characters>`, its shown prefix `aidoc_1a2b3c4d`).
pub fn new_api_key() -> (String, String) {
    let mut id = [0u8; KEY_ID_CHARS / 2];
    rand::rng().fill(&mut id);
    let prefix = format!("{KEY_PREFIX}{}", hex::encode(id));
    (format!("{prefix}_{}", random_token()), prefix)
}

/// Whether `s` has the shape of an API key (checked before any lookup).
pub fn looks_like_api_key(s: &str) -> bool {
    s.len() <= MAX_KEY_LEN
        && s.strip_prefix(KEY_PREFIX).is_some_and(|rest| {
            rest.len() > KEY_ID_CHARS + 1
                && rest.as_bytes()[KEY_ID_CHARS] == b'_'
                && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
}

/// The recognisable part of a presented key, for the audit log (never the secret).
pub fn shown_prefix(s: &str) -> String {
    s.chars().take(KEY_PREFIX.len() + KEY_ID_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_a_recognisable_prefix_and_256_random_bits() {
        let (key, prefix) = new_api_key();
        assert!(key.starts_with(&prefix));
        assert_eq!(prefix.len(), 14);
        assert_eq!(key.len(), 14 + 1 + 43);
        assert!(looks_like_api_key(&key));
        assert_eq!(shown_prefix(&key), prefix);
        assert_ne!(new_api_key().0, key);
        assert!(!looks_like_api_key("aidoc_short"));
        assert!(!looks_like_api_key("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
        assert!(!looks_like_api_key(&format!("{key}{}", "x".repeat(100))));
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(random_token().len(), 43);
    }
}
