//! The connection pool and migrations.

use std::time::Duration;

use sqlx::{Connection, PgPool, postgres::PgPoolOptions};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const RECHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

pub async fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(16)
        .min_connections(2)
        // Fail fast while the database is down, so requests answer 503 instead of hanging.
        .acquire_timeout(Duration::from_secs(3))
        // sqlx pings every connection it hands out by default: a round trip per query, a
        // third of a read's database work. A connection returned to the pool has just
        // passed sqlx's ping on release, so only one idle for a while is checked again.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= RECHECK_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        .connect(url)
        .await
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}
