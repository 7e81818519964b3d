//! The projection engine.
//!
//! Events are read in global order `(tx_id, position)`, and only those of transactions older
//! than every transaction still running (`tx_id < pg_snapshot_xmin(pg_current_snapshot())`):
//! a transaction that took an earlier position but commits later is therefore never
//! skipped. Each batch is applied and its checkpoint moved in one transaction, under an
//! advisory lock per projection, so an event is applied exactly once even across crashes
//! and across several PlayPod instances.
//!
//! One instance leads: it applies the events as they come, for every projection at once,
//! so a burst of commands costs a few batches, not one transaction per command. A command
//! on the leader waits for its event in the committed checkpoints it publishes in memory.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{Notify, watch};

mod rebuild;

use crate::{
    progress::{CHECKPOINT_COLUMNS, Checkpoint, Progress},
    stored_event::{EVENT_COLUMNS, StoredEvent},
};

/// How often an instance that does not lead the projectors tries to take over.
const FOLLOWER_RETRY: Duration = Duration::from_secs(2);
/// How often the leader checks that it still holds the lock, and each projector looks for
/// events no command of this instance told it about.
const LEADER_TICK: Duration = Duration::from_secs(1);
/// How long a waiting command lets the leader work before asking again, at most: its
/// event may have been held back by an older transaction still open.
const MAX_WAIT_PAUSE: Duration = Duration::from_millis(20);
pub(crate) const BATCH: i64 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("event {position} ({event_type}) cannot be decoded: {source}")]
    Decode {
        position: i64,
        event_type: String,
        source: serde_json::Error,
    },
    #[error("event {position} is invalid: {reason}")]
    Invalid { position: i64, reason: String },
    #[error("projections did not catch up within {0:?}")]
    Timeout(Duration),
}

impl ProjectionError {
    pub fn decode(event: &StoredEvent, source: serde_json::Error) -> Self {
        Self::Decode {
            position: event.position,
            event_type: event.event_type.clone(),
            source,
        }
    }
}

/// A read model: the tables it owns and how one event changes them.
#[async_trait]
pub trait Projection: Send + Sync {
    /// Stable name, used for the checkpoint and on the command line.
    fn name(&self) -> &'static str;
    /// The aggregate types whose events it reads.
    fn aggregate_types(&self) -> &'static [&'static str];
    /// The tables it owns, emptied on rebuild.
    fn tables(&self) -> &'static [&'static str];
    /// Applies a batch of events, in global order, inside the batch's transaction. The
    /// rows must come out the same however the events are cut into batches (`verify`
    /// compares a replay with what the live projector built batch by batch).
    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError>;
    /// How a full rebuild can fold every event in memory and write the rows once, for a
    /// read model whose batches keep updating the same rows; `None` rebuilds through
    /// `apply`. It must come to exactly the rows `apply` builds.
    fn fold(&self) -> Option<Box<dyn Fold>> {
        None
    }
}

/// A read model being rebuilt in memory (see `Projection::fold`).
#[async_trait]
pub trait Fold: Send {
    /// Folds a batch of events, in global order, into memory.
    fn fold(&mut self, events: &[StoredEvent]) -> Result<(), ProjectionError>;
    /// Whether the fold holds as much as it may: it is then written as it stands, and the
    /// rest of the rebuild goes through `Projection::apply`, from the written rows.
    fn is_full(&self) -> bool;
    /// Writes the folded rows into the projection's emptied tables.
    async fn write(self: Box<Self>, conn: &mut PgConnection) -> Result<(), ProjectionError>;
}

#[derive(Clone)]
pub struct ProjectionEngine {
    pool: PgPool,
    projections: Arc<Vec<Arc<dyn Projection>>>,
    leader: Arc<AtomicBool>,
    progress: Progress,
    /// One per projection, in order: asks its projector for another round (coalesced: one
    /// permit however many ask).
    wakes: Arc<Vec<Notify>>,
}

impl ProjectionEngine {
    /// Registers the projections' checkpoints (a new projection starts from the beginning).
    pub async fn new(
        pool: PgPool,
        projections: Vec<Arc<dyn Projection>>,
    ) -> Result<Self, ProjectionError> {
        for p in &projections {
            sqlx::query(
                "insert into projection_checkpoints (name) values ($1) on conflict do nothing",
            )
            .bind(p.name())
            .execute(&pool)
            .await?;
        }
        Ok(Self {
            pool,
            leader: Arc::default(),
            progress: Progress::new(),
            wakes: Arc::new(projections.iter().map(|_| Notify::new()).collect()),
            projections: Arc::new(projections),
        })
    }

    pub fn projections(&self) -> &[Arc<dyn Projection>] {
        &self.projections
    }

    pub fn find(&self, name: &str) -> Option<Arc<dyn Projection>> {
        self.projections.iter().find(|p| p.name() == name).cloned()
    }

    /// Applies every finished event not yet applied, for every projection (side by side:
    /// each owns its tables and has its own lock).
    pub async fn catch_up(&self) -> Result<u64, ProjectionError> {
        let applied = futures::future::try_join_all(
            self.projections
                .iter()
                .map(|projection| self.catch_up_one(projection.as_ref())),
        )
        .await?;
        Ok(applied.iter().sum())
    }

    pub async fn catch_up_one(&self, projection: &dyn Projection) -> Result<u64, ProjectionError> {
        let mut applied = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let batch = apply_batch(&mut tx, projection).await?;
            tx.commit().await?;
            self.progress.advance(projection.name(), batch.checkpoint);
            applied += batch.applied;
            if batch.was_last() {
                return Ok(applied);
            }
        }
    }

    /// Read-your-writes: returns once every projection that reads `aggregate_type` has
    /// applied the latest event of this aggregate (bounded by `timeout`).
    pub async fn wait_for(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        timeout: Duration,
    ) -> Result<(), ProjectionError> {
        if self.needed(aggregate_type).is_empty() {
            return Ok(());
        }
        let target: Option<Checkpoint> = sqlx::query_as(&format!(
            "select {CHECKPOINT_COLUMNS} from events
              where aggregate_type = $1 and aggregate_id = $2
              order by sequence desc limit 1"
        ))
        .bind(aggregate_type)
        .bind(aggregate_id)
        .fetch_optional(&self.pool)
        .await?;
        match target {
            Some(target) => self.wait_until(aggregate_type, target, timeout).await,
            None => Ok(()),
        }
    }

    /// The indexes of the projections that read `aggregate_type`.
    fn needed(&self, aggregate_type: &str) -> Vec<usize> {
        (0..self.projections.len())
            .filter(|&i| {
                self.projections[i]
                    .aggregate_types()
                    .contains(&aggregate_type)
            })
            .collect()
    }

    /// Waits until every projection of `aggregate_type` has applied the event at `target`
    /// (as returned by the insert that wrote it).
    pub async fn wait_until(
        &self,
        aggregate_type: &str,
        target: Checkpoint,
        timeout: Duration,
    ) -> Result<(), ProjectionError> {
        let needed = self.needed(aggregate_type);
        let names: Vec<&str> = needed.iter().map(|&i| self.projections[i].name()).collect();
        if names.is_empty() {
            return Ok(());
        }
        let deadline = tokio::time::Instant::now() + timeout;
        let mut changed = self.progress.subscribe();
        let mut pause = Duration::from_millis(1);
        loop {
            if !self.is_leader() {
                // No projector runs here: apply what is pending directly (the projection's
                // lock keeps that exactly-once beside the leader), then learn from the
                // database how far the projections are, whoever moved them.
                for &i in &needed {
                    self.catch_up_one(self.projections[i].as_ref()).await?;
                }
                self.progress
                    .load(&self.pool, &self.projection_names())
                    .await?;
            }
            if self.progress.reached(&names, target) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ProjectionError::Timeout(timeout));
            }
            for &i in &needed {
                self.wakes[i].notify_one();
            }
            tokio::select! {
                _ = changed.changed() => {}
                _ = tokio::time::sleep(pause) => {}
            }
            pause = (pause * 2).min(MAX_WAIT_PAUSE);
        }
    }

    fn projection_names(&self) -> Vec<&'static str> {
        self.projections.iter().map(|p| p.name()).collect()
    }

    /// True while this instance leads the projectors (see `run`).
    pub fn is_leader(&self) -> bool {
        self.leader.load(Ordering::Relaxed)
    }

    /// Drives the projectors while this instance is the leader: one instance of a fleet
    /// holds a session advisory lock on a connection of its own, so when it dies
    /// PostgreSQL drops the lock with the connection and another instance takes over
    /// within `FOLLOWER_RETRY`. Each projection runs on its own, so a slow one never holds
    /// back the others; each is woken by the commands waiting for it, and every
    /// `LEADER_TICK` regardless. They stop when `stop` turns true (or its sender is gone)
    /// once caught up, so always at a checkpoint. (Commands on an instance that does not
    /// lead apply pending batches themselves; the per-projection lock keeps that
    /// exactly-once.)
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() && stop.has_changed().is_ok() {
            let Some(mut lock) = self.try_lead().await else {
                tokio::select! {
                    _ = tokio::time::sleep(FOLLOWER_RETRY) => {}
                    _ = stop.changed() => {}
                }
                continue;
            };
            tracing::info!("leading the projectors");
            self.leader.store(true, Ordering::Relaxed);
            let (halt, halted) = watch::channel(false);
            let drivers: Vec<_> = (0..self.projections.len())
                .map(|i| tokio::spawn(self.clone().drive(i, halted.clone())))
                .collect();
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(LEADER_TICK) => {
                        if sqlx::query("select 1").execute(&mut lock).await.is_err() {
                            tracing::warn!("lost the projector lock's connection");
                            break;
                        }
                    }
                    _ = stop.changed() => break,
                }
            }
            self.leader.store(false, Ordering::Relaxed);
            let _ = halt.send(true);
            for driver in drivers {
                if let Err(err) = driver.await {
                    tracing::warn!(error = %err, "a projector task failed");
                }
            }
            // Closing the connection is what releases the lock.
            let _ = lock.close().await;
        }
    }

    /// Keeps projection `index` caught up until `halted` turns true.
    async fn drive(self, index: usize, mut halted: watch::Receiver<bool>) {
        let projection = self.projections[index].as_ref();
        while !*halted.borrow() {
            if let Err(err) = self.catch_up_one(projection).await {
                tracing::warn!(projection = projection.name(), error = %err, "projection catch-up failed; retrying");
            }
            tokio::select! {
                _ = self.wakes[index].notified() => {}
                _ = tokio::time::sleep(LEADER_TICK) => {}
                _ = halted.changed() => {}
            }
        }
    }

    /// A connection of its own holding the leader lock (not a pooled one: it must close,
    /// not return to the pool, to let the lock go), or `None` if another instance leads.
    async fn try_lead(&self) -> Option<PgConnection> {
        let mut conn = PgConnection::connect_with(&self.pool.connect_options())
            .await
            .ok()?;
        let locked: bool =
            sqlx::query_scalar("select pg_try_advisory_lock(hashtext('playpod:projector-leader'))")
                .fetch_one(&mut conn)
                .await
                .ok()?;
        if !locked {
            return None;
        }
        self.progress
            .load(&mut conn, &self.projection_names())
            .await
            .ok()?;
        Some(conn)
    }
}

/// Serialises everything that moves or reads one projection's tables and checkpoint.
pub(crate) async fn lock(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('projection:' || $1))")
        .bind(name)
        .execute(conn)
        .await
        .map(|_| ())
}

/// `lock`, and lets the transaction commit without waiting for its WAL to reach the disk.
/// A read model is derived from events and commits with its checkpoint, so a crash can only
/// lose whole batches, which the projector applies again from the events; waiting for the
/// flush made every command wait for a second fsync, behind its event's own.
async fn lock_for_applying(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "select pg_advisory_xact_lock(hashtext('projection:' || $1)),
                set_config('synchronous_commit', 'off', true)",
    )
    .bind(name)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Applies up to one batch in the caller's transaction and moves the checkpoint.
async fn apply_batch(
    conn: &mut PgConnection,
    projection: &dyn Projection,
) -> Result<Batch, ProjectionError> {
    lock_for_applying(conn, projection.name()).await?;
    // Both forms are range scans of an index in global order that stop after one batch,
    // whatever the planner's statistics say: one type has its own index; several are
    // picked out of the global order here, not by the database.
    let of_types = match projection.aggregate_types() {
        [_] => "and e.aggregate_type = ($2::text[])[1]",
        _ => "and $2::text[] is not null",
    };
    let events: Vec<StoredEvent> = sqlx::query_as(&format!(
        "select {EVENT_COLUMNS} from events e
          where (e.tx_id, e.position) > (select tx_id, position from projection_checkpoints where name = $1)
            and e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
            {of_types}
          order by e.tx_id, e.position
          limit $3"
    ))
    .bind(projection.name())
    .bind(projection.aggregate_types())
    .bind(BATCH)
    .fetch_all(&mut *conn)
    .await?;
    let Some(last) = events.last().map(|e| e.position) else {
        // Another instance may have applied what this one waits for: report where the
        // checkpoint stands even when there was nothing to do.
        let checkpoint = sqlx::query_as(&format!(
            "select {CHECKPOINT_COLUMNS} from projection_checkpoints where name = $1"
        ))
        .bind(projection.name())
        .fetch_one(&mut *conn)
        .await?;
        return Ok(Batch {
            read: 0,
            applied: 0,
            checkpoint,
        });
    };
    let read = events.len() as u64;
    let events: Vec<StoredEvent> = events
        .into_iter()
        .filter(|e| {
            projection
                .aggregate_types()
                .contains(&e.aggregate_type.as_str())
        })
        .collect();
    projection.apply(conn, &events).await?;
    let checkpoint = sqlx::query_as(&format!(
        "update projection_checkpoints
            set (tx_id, position) = (select tx_id, position from events where position = $2)
          where name = $1
          returning {CHECKPOINT_COLUMNS}"
    ))
    .bind(projection.name())
    .bind(last)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Batch {
        read,
        applied: events.len() as u64,
        checkpoint,
    })
}

/// What one batch did: events read in global order, those of the projection's types, and
/// where the checkpoint now stands.
struct Batch {
    read: u64,
    applied: u64,
    checkpoint: Checkpoint,
}

impl Batch {
    /// A short batch means the projection has caught up.
    fn was_last(&self) -> bool {
        self.read < BATCH as u64
    }
}
