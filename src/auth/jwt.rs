//! Signing and verifying PlayPod's JWTs (HS256 only: `alg: none` and every other
//! algorithm are refused by the validation).

use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const ACCESS_TTL: Duration = Duration::minutes(15);
pub const REFRESH_TTL: Duration = Duration::days(14);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub exp: i64,
    pub iat: i64,
    pub jti: Uuid,
    /// The login this token descends from; revoking it revokes every token of the login.
    pub fam: Uuid,
    pub typ: TokenKind,
    #[serde(default)]
    pub roles: Vec<String>,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is invalid")]
    Invalid,
    #[error("a {0:?} token cannot be used here")]
    WrongKind(TokenKind),
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iat", "sub", "jti"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn issue(
        &self,
        user: Uuid,
        family: Uuid,
        kind: TokenKind,
        roles: &[String],
    ) -> (String, Claims) {
        let now = Utc::now();
        let ttl = match kind {
            TokenKind::Access => ACCESS_TTL,
            TokenKind::Refresh => REFRESH_TTL,
        };
        let claims = Claims {
            sub: user,
            iat: now.timestamp(),
            exp: (now + ttl).timestamp(),
            jti: Uuid::new_v4(),
            fam: family,
            typ: kind,
            roles: roles.to_vec(),
        };
        (self.sign(&claims), claims)
    }

    pub fn sign(&self, claims: &Claims) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    pub fn verify(&self, token: &str, expected: TokenKind) -> Result<Claims, TokenError> {
        let data =
            decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| {
                match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                    _ => TokenError::Invalid,
                }
            })?;
        if data.claims.typ != expected {
            return Err(TokenError::WrongKind(data.claims.typ));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(b"0123456789abcdef0123456789abcdef")
    }

    #[test]
    fn an_issued_token_verifies() {
        let user = Uuid::new_v4();
        let (token, claims) =
            keys().issue(user, Uuid::new_v4(), TokenKind::Access, &["auditor".into()]);
        let back = keys().verify(&token, TokenKind::Access).unwrap();
        assert_eq!(back.sub, user);
        assert_eq!(back.jti, claims.jti);
        assert_eq!(back.roles, vec!["auditor"]);
    }

    #[test]
    fn a_refresh_token_is_not_an_access_token() {
        let (token, _) = keys().issue(Uuid::new_v4(), Uuid::new_v4(), TokenKind::Refresh, &[]);
        assert!(matches!(
            keys().verify(&token, TokenKind::Access),
            Err(TokenError::WrongKind(_))
        ));
    }

    #[test]
    fn expired_foreign_and_unsigned_tokens_are_refused() {
        let k = keys();
        let (_, mut claims) = k.issue(Uuid::new_v4(), Uuid::new_v4(), TokenKind::Access, &[]);
        claims.exp = Utc::now().timestamp() - 1;
        assert!(matches!(
            k.verify(&k.sign(&claims), TokenKind::Access),
            Err(TokenError::Expired)
        ));

        let other = JwtKeys::new(b"another key entirely, 32 bytes!!");
        let (foreign, _) = other.issue(Uuid::new_v4(), Uuid::new_v4(), TokenKind::Access, &[]);
        assert!(matches!(
            k.verify(&foreign, TokenKind::Access),
            Err(TokenError::Invalid)
        ));

        let (good, _) = k.issue(Uuid::new_v4(), Uuid::new_v4(), TokenKind::Access, &[]);
        let payload = good.split('.').nth(1).unwrap();
        let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
        assert!(matches!(
            k.verify(&unsigned, TokenKind::Access),
            Err(TokenError::Invalid)
        ));
    }
}
