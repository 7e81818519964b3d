//! Connections for the reads whose answers are kept (`api::view_cache`).
//!
//! Each of those reads is one indexed statement, and sqlx's pool pings a connection when it
//! is taken out and again when it goes back: two of every read's three round trips, each a
//! wake-up of a PostgreSQL backend and of a tokio worker on a machine whose two cores they
//! share with the load. Here a connection is taken and put back with no round trip. What
//! the pings guarded against is handled where it shows:
//! - a read that fails because its connection broke (the database restarted, a proxy
//!   dropped it) lets every idle connection go, as they most likely broke with it, and runs
//!   once more on a new one. Reads change nothing, so running one twice is harmless;
//! - a connection that died without a word (a firewall forgot it, the server's host went
//!   down) would leave a read waiting for TCP to give up, so a read has `READ_TIMEOUT`, and
//!   a connection idle for `IDLE_TIMEOUT` is not used again.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use futures::future::BoxFuture;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, postgres::PgConnectOptions};
use tokio::sync::Semaphore;

use super::is_connection_lost;

/// How long a read waits for a connection, or to open one, before the database counts as
/// unavailable (as sqlx's pool does with `acquire_timeout`).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one read may take: these reads take milliseconds, so a read still unanswered
/// after this is on a connection that is gone.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection idle this long is closed rather than trusted.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Connections are replaced after this long, as sqlx's pool does, so that a backend's
/// caches do not grow for the life of the process and a moved server is found again.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

pub struct ReadPool {
    options: PgConnectOptions,
    /// Connections not in use, the most recently used last.
    idle: Mutex<Vec<Opened>>,
    /// One per connection that may be open: held for the whole of a read.
    permits: Semaphore,
}

struct Opened {
    conn: PgConnection,
    opened_at: Instant,
    used_at: Instant,
}

/// A read as `ReadPool::read` runs it, on the connection it is given.
type Read<'c, T> = BoxFuture<'c, sqlx::Result<T>>;

impl ReadPool {
    /// Up to `size` connections; one is opened now, so a database that cannot be reached
    /// fails the start-up rather than the first read.
    pub async fn connect(options: PgConnectOptions, size: usize) -> Result<Self, sqlx::Error> {
        let pool = Self {
            options,
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Semaphore::new(size),
        };
        let first = pool.open().await?;
        pool.put_back(first);
        Ok(pool)
    }

    /// Runs `read` on a connection of its own; see the module's comment for a connection
    /// that broke.
    pub async fn read<T>(
        &self,
        read: impl for<'c> Fn(&'c mut PgConnection) -> Read<'c, T>,
    ) -> sqlx::Result<T> {
        let _permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let (opened, reused) = match self.take_idle() {
            Some(opened) => (opened, true),
            None => (self.open().await?, false),
        };
        match self.run(opened, &read).await {
            Err(err) if reused && is_connection_lost(&err) => {
                self.idle.lock().expect("read pool").clear();
                let fresh = self.open().await?;
                self.run(fresh, &read).await
            }
            answered => answered,
        }
    }

    /// Runs `read` on `opened` and keeps the connection unless it may be unusable.
    async fn run<T>(
        &self,
        mut opened: Opened,
        read: &impl for<'c> Fn(&'c mut PgConnection) -> Read<'c, T>,
    ) -> sqlx::Result<T> {
        let answered = tokio::time::timeout(READ_TIMEOUT, read(&mut opened.conn))
            .await
            .unwrap_or_else(|_| {
                Err(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the database did not answer a read in time",
                )))
            });
        match &answered {
            // A statement the database refused leaves its connection ready for the next;
            // anything else may have left it mid-answer, or gone.
            Ok(_) => self.put_back(opened),
            Err(err @ sqlx::Error::Database(_)) if !is_connection_lost(err) => {
                self.put_back(opened)
            }
            Err(_) => {}
        }
        answered
    }

    /// The most recently used idle connection; those idle too long are closed.
    fn take_idle(&self) -> Option<Opened> {
        let mut idle = self.idle.lock().expect("read pool");
        while let Some(opened) = idle.pop() {
            if opened.used_at.elapsed() < IDLE_TIMEOUT {
                return Some(opened);
            }
            close(opened);
        }
        None
    }

    fn put_back(&self, mut opened: Opened) {
        if opened.opened_at.elapsed() < MAX_LIFETIME {
            opened.used_at = Instant::now();
            self.idle.lock().expect("read pool").push(opened);
        } else {
            close(opened);
        }
    }

    async fn open(&self) -> sqlx::Result<Opened> {
        let opening = async {
            let mut conn = self.options.connect().await?;
            // PostgreSQL estimates its custom plans for these statements a few percent
            // cheaper than the generic plan, so it would plan them again on every execution
            // (a page of plays: 3,200-3,700 req/s planned each time, 6,100 with the generic
            // plan); their generic plans are the same plans.
            conn.execute("set plan_cache_mode = force_generic_plan")
                .await?;
            let now = Instant::now();
            Ok(Opened {
                conn,
                opened_at: now,
                used_at: now,
            })
        };
        tokio::time::timeout(ACQUIRE_TIMEOUT, opening)
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
    }
}

/// Says goodbye, so that PostgreSQL does not log a client that vanished; in a task of its
/// own, not in a read's time.
fn close(opened: Opened) {
    tokio::spawn(opened.conn.close());
}
