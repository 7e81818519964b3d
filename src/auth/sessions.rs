//! Logins, refresh-token rotation with reuse detection, and access-token checks.

use sqlx::PgPool;
use uuid::Uuid;

use super::{
    jwt::{JwtKeys, TokenError, TokenKind},
    session_cache::SessionCache,
};
use crate::accounts::User;

pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

/// Who is calling, as established by a valid access token.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
    pub roles: Vec<String>,
}

impl CurrentUser {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error("this refresh token was already used; every token of its login is now revoked")]
    Reused,
    #[error("this login has been revoked")]
    Revoked,
    #[error("the account no longer exists")]
    UnknownUser,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Starts a new login (token family) for the user.
pub async fn login(pool: &PgPool, keys: &JwtKeys, user: &User) -> Result<TokenPair, sqlx::Error> {
    issue_pair(pool, keys, user.id, Uuid::new_v4(), &user.roles).await
}

async fn issue_pair<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    keys: &JwtKeys,
    user: Uuid,
    family: Uuid,
    roles: &[String],
) -> Result<TokenPair, sqlx::Error> {
    let (access, _) = keys.issue(user, family, TokenKind::Access, roles);
    let (refresh, claims) = keys.issue(user, family, TokenKind::Refresh, roles);
    sqlx::query(
        "insert into refresh_tokens (jti, family_id, user_id, expires_at)
         values ($1, $2, $3, to_timestamp($4))",
    )
    .bind(claims.jti)
    .bind(family)
    .bind(user)
    .bind(claims.exp as f64)
    .execute(conn)
    .await?;
    Ok(TokenPair { access, refresh })
}

/// Exchanges a refresh token for a new pair. A token presented twice revokes its family.
pub async fn refresh(
    pool: &PgPool,
    keys: &JwtKeys,
    token: &str,
) -> Result<TokenPair, SessionError> {
    let claims = keys.verify(token, TokenKind::Refresh)?;
    let mut tx = pool.begin().await?;
    let row: Option<(Option<chrono::DateTime<chrono::Utc>>, bool)> = sqlx::query_as(
        "select t.used_at, exists(select 1 from revoked_token_families r where r.family_id = t.family_id)
         from refresh_tokens t where t.jti = $1 and t.family_id = $2 for update",
    )
    .bind(claims.jti)
    .bind(claims.fam)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((used_at, revoked)) = row else {
        return Err(TokenError::Invalid.into());
    };
    if revoked {
        return Err(SessionError::Revoked);
    }
    if used_at.is_some() {
        sqlx::query(
            "insert into revoked_token_families (family_id) values ($1) on conflict do nothing",
        )
        .bind(claims.fam)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::warn!(user = %claims.sub, family = %claims.fam, "refresh token reused; family revoked");
        return Err(SessionError::Reused);
    }
    let roles: Option<Vec<String>> =
        sqlx::query_scalar("select roles from users where id = $1 and deleted_at is null")
            .bind(claims.sub)
            .fetch_optional(&mut *tx)
            .await?;
    let roles = roles.ok_or(SessionError::UnknownUser)?;
    sqlx::query("update refresh_tokens set used_at = now() where jti = $1")
        .bind(claims.jti)
        .execute(&mut *tx)
        .await?;
    let pair = issue_pair(&mut *tx, keys, claims.sub, claims.fam, &roles).await?;
    tx.commit().await?;
    Ok(pair)
}

/// Checks an access token against the signature, its expiry, its kind, and the database
/// (the account still exists, the login is not revoked); roles are the account's current
/// ones. The database's answer is remembered in `cache` until an account or login changes.
pub async fn authenticate(
    pool: &PgPool,
    cache: &SessionCache,
    keys: &JwtKeys,
    token: &str,
) -> Result<CurrentUser, SessionError> {
    let claims = keys.verify(token, TokenKind::Access)?;
    if let Some(roles) = cache.roles(claims.sub, claims.fam).await {
        return Ok(CurrentUser {
            id: claims.sub,
            roles,
        });
    }
    let ticket = cache.ticket();
    let row: Option<(Vec<String>, bool)> = sqlx::query_as(
        "select u.roles, exists(select 1 from revoked_token_families r where r.family_id = $2)
         from users u where u.id = $1 and u.deleted_at is null",
    )
    .bind(claims.sub)
    .bind(claims.fam)
    .fetch_optional(pool)
    .await?;
    match row {
        None => Err(SessionError::UnknownUser),
        Some((_, true)) => Err(SessionError::Revoked),
        Some((roles, false)) => {
            cache
                .remember(ticket, claims.sub, claims.fam, roles.clone())
                .await;
            Ok(CurrentUser {
                id: claims.sub,
                roles,
            })
        }
    }
}
