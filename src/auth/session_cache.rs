//! Remembers which logins were found valid, so that a request does not spend a database
//! round trip re-checking its token: on reads that check was half of PostgreSQL's work.
//!
//! Staleness is bounded by the database itself: a trigger (migration 0070) notifies every
//! instance whenever a role changes, an account is deleted or a login is revoked, and each
//! instance forgets everything it remembered. While that notification cannot arrive (the
//! listening connection is down or not yet up) nothing is remembered, so a request is
//! never answered from a cache that could have missed a change.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use moka::future::Cache;
use sqlx::{PgPool, postgres::PgListener};
use tokio::sync::watch;
use uuid::Uuid;

/// The channel migration 0070's triggers notify.
const CHANNEL: &str = "playpod_sessions";
/// A backstop only: notifications make changes visible within moments.
const REMEMBER_FOR: Duration = Duration::from_secs(60);
const LOGINS_REMEMBERED: u64 = 100_000;
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// A login: the user and the token family of one sign-in.
type Login = (Uuid, Uuid);

pub struct SessionCache {
    roles: Cache<Login, Vec<String>>,
    listening: AtomicBool,
    /// Bumped whenever everything is forgotten, so that a database read that raced with a
    /// change is not remembered after it.
    generation: AtomicU64,
}

impl Default for SessionCache {
    fn default() -> Self {
        Self {
            roles: Cache::builder()
                .max_capacity(LOGINS_REMEMBERED)
                .time_to_live(REMEMBER_FOR)
                .build(),
            listening: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        }
    }
}

/// Taken before reading a login from the database; `remember` uses it to drop the read if
/// anything changed meanwhile.
#[derive(Clone, Copy)]
pub struct Ticket(u64);

impl SessionCache {
    pub async fn roles(&self, user: Uuid, family: Uuid) -> Option<Vec<String>> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        self.roles.get(&(user, family)).await
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    pub async fn remember(&self, ticket: Ticket, user: Uuid, family: Uuid, roles: Vec<String>) {
        if !self.listening.load(Ordering::Acquire) || self.ticket().0 != ticket.0 {
            return;
        }
        self.roles.insert((user, family), roles).await;
        // A change notified between the check above and the insert must still win.
        if self.ticket().0 != ticket.0 {
            self.roles.invalidate(&(user, family)).await;
        }
    }

    fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.roles.invalidate_all();
    }

    fn set_listening(&self, listening: bool) {
        if !listening {
            self.listening.store(false, Ordering::Release);
        }
        self.forget_all();
        if listening {
            self.listening.store(true, Ordering::Release);
        }
    }

    /// Follows the database's notifications until `stop` turns true (or its sender is
    /// gone), reconnecting whenever the connection drops.
    pub async fn listen(self: Arc<Self>, pool: PgPool, mut stop: watch::Receiver<bool>) {
        loop {
            match subscribe(&pool).await {
                Ok(mut listener) => {
                    self.set_listening(true);
                    let lost = loop {
                        tokio::select! {
                            notified = listener.try_recv() => match notified {
                                Ok(Some(_)) => self.forget_all(),
                                Ok(None) => break "connection closed".to_owned(),
                                Err(err) => break err.to_string(),
                            },
                            _ = stopped(&mut stop) => {
                                self.set_listening(false);
                                return;
                            }
                        }
                    };
                    self.set_listening(false);
                    tracing::warn!(error = %lost, "session notifications lost; checking every token");
                }
                Err(err) => {
                    tracing::warn!(error = %err, "cannot listen for session changes; checking every token");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(RECONNECT_AFTER) => {}
                _ = stopped(&mut stop) => return,
            }
        }
    }
}

async fn subscribe(pool: &PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stopped| *stopped).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening_cache() -> SessionCache {
        let cache = SessionCache::default();
        cache.set_listening(true);
        cache
    }

    #[tokio::test]
    async fn remembers_only_while_listening() {
        let (user, family) = (Uuid::new_v4(), Uuid::new_v4());
        let cache = SessionCache::default();
        cache
            .remember(cache.ticket(), user, family, vec!["analyst".into()])
            .await;
        assert_eq!(cache.roles(user, family).await, None);

        cache.set_listening(true);
        cache
            .remember(cache.ticket(), user, family, vec!["analyst".into()])
            .await;
        assert_eq!(
            cache.roles(user, family).await,
            Some(vec!["analyst".to_owned()])
        );
        assert_eq!(
            cache.roles(user, Uuid::new_v4()).await,
            None,
            "another login"
        );

        cache.set_listening(false);
        assert_eq!(cache.roles(user, family).await, None);
    }

    #[tokio::test]
    async fn a_change_forgets_everything_and_wins_over_a_read_that_raced_it() {
        let (user, family) = (Uuid::new_v4(), Uuid::new_v4());
        let cache = listening_cache();
        cache.remember(cache.ticket(), user, family, vec![]).await;
        cache.forget_all();
        assert_eq!(cache.roles(user, family).await, None);

        let read_before_the_change = cache.ticket();
        cache.forget_all();
        cache
            .remember(read_before_the_change, user, family, vec![])
            .await;
        assert_eq!(cache.roles(user, family).await, None);
    }
}
