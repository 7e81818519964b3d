//! Connections for the reads whose answers are kept (`api::view_cache`).
//!
//! Each of those reads is one indexed statement, and sqlx's pool pings a connection when it
//! is taken out and again when it goes back: two of every read's three round trips, each a
//! wake-up of a PostgreSQL backend and of a tokio worker on a machine whose two cores they
//! share with the load. Here a connection is taken and put back with no round trip. What
//! the pings guarded against is handled where it shows: a read that fails because its
//! connection broke (the database restarted, a proxy dropped it) lets every idle connection
//! go, as they most likely broke with it, and runs once more on a new one. Reads change
//! nothing, so running one twice is harmless.

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
    at: Instant,
}

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
        read: impl for<'c> Fn(&'c mut PgConnection) -> BoxFuture<'c, sqlx::Result<T>>,
    ) -> sqlx::Result<T> {
        let _permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.permits.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let (mut opened, reused) = match self.take_idle() {
            Some(opened) => (opened, true),
            None => (self.open().await?, false),
        };
        match read(&mut opened.conn).await {
            Ok(answer) => {
                self.put_back(opened);
                Ok(answer)
            }
            Err(err) if reused && is_connection_lost(&err) => {
                drop(opened);
                self.idle.lock().expect("read pool").clear();
                let mut fresh = self.open().await?;
                let answer = read(&mut fresh.conn).await?;
                self.put_back(fresh);
                Ok(answer)
            }
            Err(err) => {
                // A statement the database refused leaves its connection ready for the
                // next; anything else may have left it mid-answer.
                if matches!(err, sqlx::Error::Database(_)) && !is_connection_lost(&err) {
                    self.put_back(opened);
                }
                Err(err)
            }
        }
    }

    fn take_idle(&self) -> Option<Opened> {
        self.idle.lock().expect("read pool").pop()
    }

    fn put_back(&self, opened: Opened) {
        if opened.at.elapsed() < MAX_LIFETIME {
            self.idle.lock().expect("read pool").push(opened);
        } else {
            // Said goodbye to, so that PostgreSQL does not log a client that vanished.
            tokio::spawn(opened.conn.close());
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
            Ok(Opened {
                conn,
                at: Instant::now(),
            })
        };
        tokio::time::timeout(ACQUIRE_TIMEOUT, opening)
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
    }
}
