//! The connection pool and migrations.

use std::{net::IpAddr, time::Duration};

use sqlx::{
    PgPool,
    postgres::{PgConnectOptions, PgDatabaseError, PgPoolOptions, PgSeverity, PgSslMode},
};

mod read_pool;

pub use read_pool::ReadPool;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub async fn connect(url: &str) -> Result<PgPool, sqlx::Error> {
    let options = connect_options(url, std::env::var_os("PGSSLMODE").is_some())?;
    PgPoolOptions::new()
        .max_connections(16)
        .min_connections(2)
        // Fail fast while the database is down, so requests answer 503 instead of hanging.
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
}

/// Connections for the reads whose answers are kept; see `ReadPool`. Four, for two cores:
/// with sqlx's pool of eight, `GET /api/playlists/queue/tracks/` served 10% fewer requests
/// a second than with four, the backends taking turns on the cores rather than answering.
pub async fn connect_reads(url: &str) -> Result<ReadPool, sqlx::Error> {
    let options = connect_options(url, std::env::var_os("PGSSLMODE").is_some())?;
    ReadPool::connect(options, 4).await
}

/// Whether `err` says the connection is gone (or the server going away), rather than that
/// the database refused a statement.
pub fn is_connection_lost(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        // SQLSTATE class 08: connection exception; 57P0x: the server is going away; and
        // whatever ends the session (FATAL), e.g. a standby's conflict with recovery.
        sqlx::Error::Database(db) => {
            db.code()
                .is_some_and(|code| code.starts_with("08") || code.starts_with("57P0"))
                || db.try_downcast_ref::<PgDatabaseError>().is_some_and(|pg| {
                    matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic)
                })
        }
        _ => false,
    }
}

/// The URL's options, except that a server on this machine is reached without TLS unless
/// the URL or `PGSSLMODE` asks for it: libpq's default (`prefer`) would encrypt loopback
/// traffic for nobody, at a fifth of the server's CPU on a read.
fn connect_options(url: &str, sslmode_from_env: bool) -> Result<PgConnectOptions, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let host = options
        .get_host()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let on_this_machine = options.get_socket().is_some()
        || host.starts_with('/')
        || host == "localhost"
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let sslmode_chosen = sslmode_from_env || url.contains("sslmode=");
    Ok(if on_this_machine && !sslmode_chosen {
        options.ssl_mode(PgSslMode::Disable)
    } else {
        options
    })
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

#[cfg(test)]
mod tests {
    use super::{PgSslMode, connect_options};

    fn disables_tls(url: &str, from_env: bool) -> bool {
        matches!(
            connect_options(url, from_env).unwrap().get_ssl_mode(),
            PgSslMode::Disable
        )
    }

    #[test]
    fn a_server_on_this_machine_is_reached_without_tls_unless_asked() {
        assert!(disables_tls(
            "postgres://postgres@127.0.0.1:5432/playpod",
            false
        ));
        assert!(disables_tls("postgres://postgres@localhost/playpod", false));
        assert!(disables_tls("postgres://postgres@[::1]/playpod", false));
        assert!(!disables_tls("postgres://u@db.example.com/playpod", false));
        assert!(!disables_tls(
            "postgres://postgres@127.0.0.1/playpod?sslmode=require",
            false
        ));
        assert!(!disables_tls("postgres://postgres@127.0.0.1/playpod", true));
    }
}
