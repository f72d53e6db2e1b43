//! Access tokens: JWTs signed with HS256 by the gateway and checked by every
//! instance without a round trip. The algorithm is pinned (a token that says
//! `none`, HS512 or RS256 is refused), and `exp`, `iss`, `aud`, `sub` are
//! required.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session (refresh-token family) the token belongs to.
    pub sid: String,
    /// The role when the token was issued (the gateway uses the current one).
    pub role: String,
    pub iss: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Correctly signed, but past `exp`.
    Expired,
    /// Anything else: bad signature, wrong algorithm, malformed, wrong issuer or audience.
    Invalid,
}

pub struct Jwt {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl: Duration,
}

impl Jwt {
    pub fn new(secret: &[u8], issuer: &str, ttl: Duration) -> Jwt {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Jwt {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A signed access token for `user` in session `sid`.
    pub fn issue(&self, user: &str, sid: &str, role: &str, now: u64) -> Result<String, String> {
        let claims = Claims {
            sub: user.to_owned(),
            sid: sid.to_owned(),
            role: role.to_owned(),
            iss: self.issuer.clone(),
            aud: self.issuer.clone(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            jti: uuid::Uuid::new_v4().to_string(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| e.to_string())
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        if token.len() > 4096 {
            return Err(TokenError::Invalid);
        }
        match jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Ok(data.claims),
            Err(e) => Err(match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            }),
        }
    }
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn jwt() -> Jwt {
        Jwt::new(SECRET, "aidoc", Duration::from_secs(900))
    }

    fn forge(header: &str, claims: &serde_json::Value, sig: &str) -> String {
        format!("{}.{}.{sig}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims.to_string()))
    }

    #[test]
    fn round_trip_and_claims() {
        let j = jwt();
        let now = now_secs();
        let t = j.issue("u1", "s1", "editor", now).unwrap();
        let c = j.verify(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_str(), c.role.as_str()), ("u1", "s1", "editor"));
        assert_eq!(c.exp - c.iat, 900);
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_are_refused() {
        let j = jwt();
        let old = j.issue("u1", "s1", "admin", now_secs() - 3600).unwrap();
        assert_eq!(j.verify(&old), Err(TokenError::Expired));

        let t = j.issue("u1", "s1", "viewer", now_secs()).unwrap();
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        claims["role"] = "admin".into();
        parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
        assert_eq!(j.verify(&parts.join(".")), Err(TokenError::Invalid), "tampered claims");

        let none = forge(r#"{"alg":"none","typ":"JWT"}"#, &claims, "");
        assert_eq!(j.verify(&none), Err(TokenError::Invalid), "alg none");

        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &serde_json::from_value::<Claims>(claims.clone()).unwrap(),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert_eq!(j.verify(&hs512), Err(TokenError::Invalid), "HS512 with the right secret");

        let other = Jwt::new(b"another-secret-another-secret-xx", "aidoc", Duration::from_secs(900));
        assert_eq!(j.verify(&other.issue("u1", "s1", "admin", now_secs()).unwrap()), Err(TokenError::Invalid));
        let elsewhere = Jwt::new(SECRET, "not-aidoc", Duration::from_secs(900));
        assert_eq!(j.verify(&elsewhere.issue("u1", "s1", "admin", now_secs()).unwrap()), Err(TokenError::Invalid));
        assert_eq!(j.verify("garbage"), Err(TokenError::Invalid));
        assert_eq!(j.verify(&"a".repeat(5000)), Err(TokenError::Invalid));
    }
}
