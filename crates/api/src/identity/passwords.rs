//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, one
//! lane) and the password policy. Hashing costs tens of milliseconds of CPU,
//! so the async entry points run it on the blocking pool.

use aidoc_proto::ErrorCode;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::LazyLock;

pub const MIN_CHARS: usize = 12;
pub const MAX_BYTES: usize = 1024;

/// Passwords that are refused in production for the first admin.
const WELL_KNOWN: [&str; 10] = [
    "changeme12345",
    "password1234",
    "administrator",
    "adminadminadmin",
    "aidocaidocaidoc",
    "123456789012",
    "qwertyuiopas",
    "letmeinletmein",
    "passwordpassword",
    "change-me-please",
];

fn argon2() -> Argon2<'static> {
    // 19 MiB, t = 2, p = 1: OWASP's argon2id recommendation.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The rules every new password follows; the message says what is wrong.
pub fn check_policy(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_CHARS {
        return Err(format!("a password needs at least {MIN_CHARS} characters"));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("a password is at most {MAX_BYTES} bytes"));
    }
    if password.trim().is_empty() {
        return Err("a password cannot be only spaces".into());
    }
    Ok(())
}

pub fn is_well_known(password: &str) -> bool {
    let p = password.to_lowercase();
    WELL_KNOWN.contains(&p.as_str()) || p.chars().all(|c| c == p.chars().next().unwrap_or(' '))
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a random salt.
pub fn hash_blocking(password: &str) -> Result<String, String> {
    argon2().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `phc` (any argon2 parameters).
pub fn verify_blocking(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// Hashes off the async runtime.
pub async fn hash(password: String) -> Result<String, tonic::Status> {
    match tokio::task::spawn_blocking(move || hash_blocking(&password)).await {
        Ok(Ok(h)) => Ok(h),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "password hashing failed");
            Err(ErrorCode::Internal.status("password hashing failed"))
        }
        Err(e) => {
            tracing::error!(error = %e, "password hashing task failed");
            Err(ErrorCode::Internal.status("password hashing failed"))
        }
    }
}

/// A hash of nothing anyone knows: checking an unknown user's password
/// against it takes as long as checking a real one.
static DUMMY: LazyLock<String> =
    LazyLock::new(|| hash_blocking(&crate::identity::tokens::random_token()).unwrap_or_default());

/// Verifies off the async runtime; `None` verifies against a dummy hash
/// (same cost) and is always false.
pub async fn verify(password: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify_blocking(&password, &phc),
        None => {
            let _ = verify_blocking(&password, &DUMMY);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash_blocking("correct horse battery").unwrap();
        let b = hash_blocking("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_blocking("correct horse battery", &a));
        assert!(!verify_blocking("correct horse batterY", &a));
        assert!(!verify_blocking("correct horse battery", "not a phc string"));
    }

    #[test]
    fn policy() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("            ").is_err());
        assert!(check_policy(&"x".repeat(2000)).is_err());
        assert!(check_policy("twelve chars").is_ok());
        assert!(is_well_known("ChangeMe12345"));
        assert!(is_well_known("aaaaaaaaaaaaaa"));
        assert!(!is_well_known("a long and unusual phrase"));
    }
}
