//! The users table: registration, lookup, profile changes and roles.

use chrono::{DateTime, Utc};
use domain::{
    UserId,
    account::{Bio, Email, Username},
};
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub bio: String,
    pub avatar_key: Option<String>,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("this {0} is already registered")]
    Taken(&'static str),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The roles that may be granted from the command line.
pub const ROLES: [&str; 2] = ["auditor", "analyst"];

const USER_COLUMNS: &str = "id, username, email, password_hash, bio, avatar_key, roles, created_at";

pub async fn register(
    pool: &PgPool,
    username: &Username,
    email: &Email,
    password_hash: &str,
) -> Result<User, RegisterError> {
    let id = UserId::new().uuid();
    let inserted = sqlx::query_as::<_, User>(&format!(
        "insert into users (id, username, email, password_hash) values ($1, $2, $3, $4)
         returning {USER_COLUMNS}"
    ))
    .bind(id)
    .bind(username.as_str())
    .bind(email.as_str())
    .bind(password_hash)
    .fetch_one(pool)
    .await;
    inserted.map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("users_username_key") => {
            RegisterError::Taken("username")
        }
        sqlx::Error::Database(db) if db.constraint() == Some("users_email_key") => {
            RegisterError::Taken("email")
        }
        _ => RegisterError::Database(err),
    })
}

pub async fn by_email(pool: &PgPool, email: &Email) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "select {USER_COLUMNS} from users where lower(email) = $1 and deleted_at is null"
    ))
    .bind(email.as_str())
    .fetch_optional(pool)
    .await
}

pub async fn by_id(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "select {USER_COLUMNS} from users where id = $1 and deleted_at is null"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

pub async fn set_bio(pool: &PgPool, id: Uuid, bio: &Bio) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "update users set bio = $2 where id = $1 and deleted_at is null returning {USER_COLUMNS}"
    ))
    .bind(id)
    .bind(bio.as_str())
    .fetch_optional(pool)
    .await
}

pub async fn set_avatar(pool: &PgPool, id: Uuid, key: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as(&format!(
        "update users set avatar_key = $2 where id = $1 and deleted_at is null returning {USER_COLUMNS}"
    ))
    .bind(id)
    .bind(key)
    .fetch_optional(pool)
    .await
}

/// Grants (or with `grant = false` revokes) a role; false when no such user exists.
pub async fn set_role(pool: &PgPool, email: &str, role: &str, grant: bool) -> sqlx::Result<bool> {
    let sql = if grant {
        "update users set roles = array(select distinct unnest(roles || array[$2::text]) order by 1)
         where lower(email) = lower($1) and deleted_at is null"
    } else {
        "update users set roles = array_remove(roles, $2::text)
         where lower(email) = lower($1) and deleted_at is null"
    };
    let done = sqlx::query(sql)
        .bind(email)
        .bind(role)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the account deleted; its tokens stop working at once.
pub async fn delete(pool: &PgPool, email: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update users set deleted_at = now() where lower(email) = lower($1) and deleted_at is null",
    )
    .bind(email)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
