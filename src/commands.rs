//! The command side: commands decided on their aggregate and appended to the PostgreSQL
//! event store, with bounded retries on concurrency conflicts and read-your-writes through
//! the projection engine.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use cqrs_es::event_sink::EventSink;
use projections::{ProjectionEngine, ProjectionError};
use uuid::Uuid;

use crate::{
    event_store::{Cacheable, SnapshotEventStore, StoreError},
    request_context::current_request_id,
};

const MAX_ATTEMPTS: u32 = 12;
const READ_YOUR_WRITES_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum CommandError<E: std::error::Error> {
    #[error(transparent)]
    Domain(E),
    #[error("the resource kept changing concurrently; retry")]
    Conflict,
    #[error("the event store is unavailable")]
    Unavailable,
    #[error("{0}")]
    Internal(String),
}

/// Executes commands for one aggregate type.
pub struct CommandBus<A: Cacheable> {
    store: SnapshotEventStore<A>,
    services: A::Services,
    engine: ProjectionEngine,
    locks: KeyedLocks,
}

impl<A> CommandBus<A>
where
    A: Cacheable,
    A::Command: Clone + Send,
    A::Error: Send,
{
    pub fn new(
        store: SnapshotEventStore<A>,
        engine: ProjectionEngine,
        services: A::Services,
    ) -> Self {
        Self {
            store,
            services,
            engine,
            locks: KeyedLocks::default(),
        }
    }

    /// `look` at the aggregate as the last command here left it, if it is still kept; see
    /// `SnapshotEventStore::peek`.
    pub fn peek<R>(&self, aggregate_id: &str, look: impl FnOnce(&A) -> R) -> Option<R> {
        self.store.peek(aggregate_id, look)
    }

    /// Runs the command as `actor`; see `execute_then`.
    pub async fn execute(
        &self,
        aggregate_id: &str,
        command: A::Command,
        actor: Uuid,
    ) -> Result<(), CommandError<A::Error>> {
        self.execute_then(aggregate_id, command, actor, |_| ())
            .await
    }

    /// Runs the command as `actor` and answers `answer` of the aggregate it left.
    ///
    /// Commands on one aggregate are serialised within this process; a conflict with
    /// another process is retried (the command is decided again on the new state), and so
    /// is a refusal or a no-op decided on the state the previous command left, which
    /// another process may have changed since. On success the read models already show the
    /// change.
    pub async fn execute_then<R>(
        &self,
        aggregate_id: &str,
        command: A::Command,
        actor: Uuid,
        answer: impl FnOnce(&A) -> R,
    ) -> Result<R, CommandError<A::Error>> {
        let mut metadata = HashMap::from([("actor".to_owned(), actor.to_string())]);
        if let Some(request_id) = current_request_id() {
            metadata.insert("request_id".to_owned(), request_id);
        }
        let (written, answer) = {
            let _guard = self.locks.lock(aggregate_id).await;
            let mut attempt = 0;
            loop {
                attempt += 1;
                let mut context = self.store.load(aggregate_id).await.map_err(classify)?;
                let sink = EventSink::default();
                let decided = context
                    .aggregate
                    .handle(command.clone(), &self.services, &sink)
                    .await;
                let events = sink.collect().await;
                // A refusal or a no-op stands only on the latest state; a cached one was
                // taken out of the cache, so the next attempt loads.
                let settled = decided.is_err() || events.is_empty();
                if settled
                    && context.cached
                    && !self.store.is_latest(&context).await.map_err(classify)?
                {
                    continue;
                }
                match decided {
                    Err(refused) => {
                        // Unless it wrote events before refusing, the state is unchanged.
                        if events.is_empty() {
                            self.store.keep(context);
                        }
                        return Err(CommandError::Domain(refused));
                    }
                    Ok(()) if events.is_empty() => {
                        break (None, answer(&self.store.keep(context).aggregate));
                    }
                    Ok(()) => {}
                }
                let cached = context.cached;
                match self.store.commit(&events, context, &metadata).await {
                    Ok((written, kept)) => break (Some(written), answer(&kept.aggregate)),
                    Err(StoreError::Conflict) if cached => {}
                    Err(StoreError::Conflict) if attempt < MAX_ATTEMPTS => {
                        let jitter = rand::random::<u64>() % (2 << attempt.min(6));
                        tokio::time::sleep(Duration::from_millis(jitter)).await;
                    }
                    Err(err) => return Err(classify(err)),
                }
            }
        };
        let Some(written) = written else {
            return Ok(answer);
        };
        match self
            .engine
            .wait_until(A::TYPE, written, READ_YOUR_WRITES_TIMEOUT)
            .await
        {
            Ok(()) => Ok(answer),
            // The command is committed; failing it now would invite a retry that applies it
            // twice. The read models will show it as soon as the older transaction ends.
            Err(ProjectionError::Timeout(waited)) => {
                tracing::warn!(?waited, "read models lag behind a committed command");
                Ok(answer)
            }
            Err(err) => {
                tracing::warn!(error = %err, "read models could not be brought up to date");
                Err(CommandError::Unavailable)
            }
        }
    }
}

fn classify<E: std::error::Error>(err: StoreError) -> CommandError<E> {
    match err {
        StoreError::Conflict => CommandError::Conflict,
        StoreError::Database(e) => {
            tracing::warn!(error = %e, "event store unavailable");
            CommandError::Unavailable
        }
        StoreError::Decode(e) => CommandError::Internal(e.to_string()),
    }
}

/// One async mutex per key, dropped once nobody holds or waits for it.
#[derive(Default)]
struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

struct KeyedGuard<'a> {
    key: String,
    owner: &'a KeyedLocks,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    async fn lock(&self, key: &str) -> KeyedGuard<'_> {
        let mutex = self
            .locks
            .lock()
            .expect("keyed locks")
            .entry(key.to_owned())
            .or_default()
            .clone();
        KeyedGuard {
            key: key.to_owned(),
            owner: self,
            guard: Some(mutex.lock_owned().await),
        }
    }
}

impl Drop for KeyedGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut locks = self.owner.locks.lock().expect("keyed locks");
        if locks
            .get(&self.key)
            .is_some_and(|m| Arc::strong_count(m) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeyedLocks;
    use std::sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    };

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_key_is_held_by_one_task_at_a_time_and_then_forgotten() {
        let locks = Arc::new(KeyedLocks::default());
        let inside = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (locks, inside) = (locks.clone(), inside.clone());
                tokio::spawn(async move {
                    let _g = locks.lock("playlist-1").await;
                    assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert!(locks.locks.lock().unwrap().is_empty());
    }
}
