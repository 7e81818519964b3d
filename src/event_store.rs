//! The event store: cqrs-es's `EventStore` over PostgreSQL, with snapshots taken correctly
//! and each command written in one statement.
//!
//! cqrs-es 0.5 applies each event to the aggregate as the command writes it
//! (`EventSink::write`), and its snapshot store applies the same events once more before
//! saving the snapshot, so snapshots hold every recent event twice. Here the snapshot is
//! the aggregate exactly as the command left it, with no second application.
//!
//! A snapshot is taken when a command had to replay `snapshot_every` events or more on top
//! of the last one (not when the sequence crosses a multiple): an aggregate whose events
//! arrived some other way (an import, a version without snapshots) is bounded after its
//! first command too.
//!
//! The snapshot and the events after it are read by one statement, so from one database
//! snapshot, and a command's events and snapshot are written by one statement. postgres-es's
//! own writer takes a transaction of three or more round trips, and checks its snapshot
//! update only after committing the events, so a command that raced another instance could
//! be committed and then reported as a conflict (and retried). Here a concurrent writer
//! makes this command's first event collide with its own on the events' primary key, and
//! nothing is committed. Loaded rows are folded as they arrive, so a long history without
//! a snapshot is never held in memory at once.
//!
//! Each aggregate a command leaves is kept in memory for the next command on it (see
//! `cached_aggregates`).

mod cached_aggregates;

use std::{cell::Cell, collections::HashMap};

use cqrs_es::{
    Aggregate, AggregateContext, AggregateError, DomainEvent, EventEnvelope, EventStore,
    persist::{PersistedEventRepository, SerializedEvent},
};
use futures::TryStreamExt;
use postgres_es::PostgresEventRepository;
use projections::Checkpoint;
use serde_json::value::RawValue;
use sqlx::{PgPool, types::Json};

use cached_aggregates::CachedAggregates;
pub use cached_aggregates::{Cacheable, SharedTracks};

pub struct SnapshotEventStore<A: Cacheable> {
    pool: PgPool,
    repo: PostgresEventRepository,
    snapshot_every: usize,
    cache: CachedAggregates<A>,
}

impl<A: Cacheable> SnapshotEventStore<A> {
    /// `cache_bytes`: about how much memory the aggregates kept between commands may take,
    /// besides the tracks they share.
    pub fn new(
        pool: PgPool,
        snapshot_every: usize,
        cache_bytes: u64,
        tracks: SharedTracks,
    ) -> Self {
        Self {
            repo: PostgresEventRepository::new(pool.clone()),
            pool,
            snapshot_every: snapshot_every.max(1),
            cache: CachedAggregates::new(cache_bytes, tracks),
        }
    }
}

/// The latest snapshot (if any) as the first row, then the events after it in order.
const LOAD_AGGREGATE: &str = "
    with snapshot as (
        select last_sequence, current_snapshot, payload from snapshots
         where aggregate_type = $1 and aggregate_id = $2
         order by last_sequence desc limit 1)
    select true as is_snapshot, last_sequence as sequence, current_snapshot, payload
      from snapshot
    union all
    select false, sequence, null, payload from events
     where aggregate_type = $1 and aggregate_id = $2
       and sequence > coalesce((select last_sequence from snapshot), 0)
    order by is_snapshot desc, sequence";

/// `is_snapshot`, sequence, snapshot version, payload: the JSON text, decoded straight into
/// the aggregate or its event with no JSON tree in between.
type LoadedRow = (bool, i64, Option<i64>, Json<Box<RawValue>>);

/// Every event of the aggregate, for when its snapshot cannot be used.
const LOAD_ALL_EVENTS: &str = "
    select false, sequence, null::bigint, payload from events
     where aggregate_type = $1 and aggregate_id = $2
     order by sequence";

/// Why loading failed; free of the aggregate's types, so that a load can await a second
/// load and still be sent between threads.
#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Decode(#[from] serde_json::Error),
}

/// An aggregate as loaded for a command.
#[derive(Clone)]
pub struct SnapshotContext<A> {
    pub aggregate_id: String,
    pub aggregate: A,
    pub current_sequence: usize,
    /// The stored snapshot's version, if there is one.
    pub current_snapshot: Option<usize>,
    /// Events applied on top of the snapshot (or from the start) to load it.
    pub replayed: usize,
}

impl<A: Aggregate> AggregateContext<A> for SnapshotContext<A> {
    fn aggregate(&mut self) -> &mut A {
        &mut self.aggregate
    }
}

fn decode<A: Aggregate>(
    event: SerializedEvent,
) -> Result<(usize, A::Event), AggregateError<A::Error>> {
    let payload = serde_json::from_value(event.payload)
        .map_err(|e| AggregateError::DeserializationError(Box::new(e)))?;
    Ok((event.sequence, payload))
}

/// The events of one command, and the snapshot if one is due, in one statement (one round
/// trip, atomic without BEGIN/COMMIT). A writer that got there first makes the first event
/// collide on the events' primary key, so nothing of this command is written. Returns where
/// the last event landed in the global order.
const APPEND: &str = "
    with written as (
        insert into events
            (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
        select $1, $2, e.*
          from unnest($3::bigint[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[]) as e
        returning tx_id, position),
    first_snapshot as (
        insert into snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
        select $1, $2, $8, 1, $10
         where $10::jsonb is not null and $9::bigint is null),
    next_snapshot as (
        update snapshots
           set last_sequence = $8, current_snapshot = $9 + 1, payload = $10
         where aggregate_type = $1 and aggregate_id = $2 and current_snapshot = $9
           and $10::jsonb is not null)
    select max(tx_id)::text::bigint as tx_id, max(position) as position from written";

/// What the store did for one command.
#[derive(Clone, Copy, Default)]
pub struct Trace {
    /// Where its last event landed; None when it wrote nothing.
    pub written: Option<Checkpoint>,
    /// It was decided on the state the previous command left, not on a fresh load.
    pub cached: bool,
}

tokio::task_local! {
    static TRACE: Cell<Trace>;
}

/// Runs a command and also returns its trace, so that read-your-writes can wait for
/// exactly its last event, and a decision on a cached state can be checked.
pub async fn traced<F: Future>(command: F) -> (F::Output, Trace) {
    TRACE
        .scope(Cell::default(), async {
            let outcome = command.await;
            (outcome, TRACE.with(Cell::get))
        })
        .await
}

fn trace(update: impl FnOnce(&mut Trace)) {
    let _ = TRACE.try_with(|cell| {
        let mut trace = cell.get();
        update(&mut trace);
        cell.set(trace);
    });
}

impl<A: Cacheable> SnapshotEventStore<A> {
    /// Folds the rows of `query` (`LOAD_AGGREGATE` or `LOAD_ALL_EVENTS`) into `context`.
    /// Stops at a snapshot that no longer decodes and returns its version.
    async fn fold(
        &self,
        query: &str,
        context: &mut SnapshotContext<A>,
    ) -> Result<Option<Option<i64>>, LoadError> {
        let mut rows = sqlx::query_as::<_, LoadedRow>(query)
            .bind(A::TYPE)
            .bind(&context.aggregate_id)
            .fetch(&self.pool);
        while let Some((is_snapshot, sequence, version, payload)) = rows.try_next().await? {
            if is_snapshot {
                match serde_json::from_str(payload.get()) {
                    Ok(aggregate) => context.aggregate = aggregate,
                    Err(err) => {
                        tracing::warn!(aggregate = A::TYPE, id = %context.aggregate_id, error = %err,
                            "snapshot no longer decodes (the aggregate's shape changed); replaying every event");
                        return Ok(Some(version));
                    }
                }
                context.current_snapshot = version.map(|v| v as usize);
            } else {
                context
                    .aggregate
                    .apply(serde_json::from_str(payload.get())?);
                context.replayed += 1;
            }
            context.current_sequence = sequence as usize;
        }
        Ok(None)
    }

    /// Encodes the events (and the aggregate, when a snapshot is due) straight to JSON text,
    /// with no JSON tree in between.
    async fn append(
        &self,
        context: &SnapshotContext<A>,
        events: &[EventEnvelope<A>],
        metadata: &HashMap<String, String>,
        snapshot_due: bool,
    ) -> sqlx::Result<Checkpoint> {
        let last_sequence = events.last().map_or(0, |e| e.sequence) as i64;
        sqlx::query_as(APPEND)
            .bind(A::TYPE)
            .bind(&context.aggregate_id)
            .bind(events.iter().map(|e| e.sequence as i64).collect::<Vec<_>>())
            .bind(
                events
                    .iter()
                    .map(|e| e.payload.event_type())
                    .collect::<Vec<_>>(),
            )
            .bind(
                events
                    .iter()
                    .map(|e| e.payload.event_version())
                    .collect::<Vec<_>>(),
            )
            .bind(events.iter().map(|e| Json(&e.payload)).collect::<Vec<_>>())
            .bind(vec![Json(metadata); events.len()])
            .bind(last_sequence)
            .bind(context.current_snapshot.map(|n| n as i64))
            .bind(snapshot_due.then_some(Json(&context.aggregate)))
            .fetch_one(&self.pool)
            .await
    }
}

impl<A> EventStore<A> for SnapshotEventStore<A>
where
    A: Cacheable + Send + Sync,
{
    type AC = SnapshotContext<A>;

    async fn load_events(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        self.repo
            .get_events::<A>(aggregate_id)
            .await?
            .into_iter()
            .map(|event| {
                let metadata = serde_json::from_value(event.metadata.clone()).unwrap_or_default();
                decode::<A>(event).map(|(sequence, payload)| EventEnvelope {
                    aggregate_id: aggregate_id.to_owned(),
                    sequence,
                    payload,
                    metadata,
                })
            })
            .collect()
    }

    async fn load_aggregate(
        &self,
        aggregate_id: &str,
    ) -> Result<Self::AC, AggregateError<A::Error>> {
        if let Some(context) = self.cache.take(aggregate_id) {
            trace(|t| t.cached = true);
            return Ok(context);
        }
        let fresh = || SnapshotContext {
            aggregate_id: aggregate_id.to_owned(),
            aggregate: A::default(),
            current_sequence: 0,
            current_snapshot: None,
            replayed: 0,
        };
        let mut context = fresh();
        let loaded = async {
            if let Some(undecodable) = self.fold(LOAD_AGGREGATE, &mut context).await? {
                // From the events alone; the next command replaces the stored snapshot
                // (version `undecodable`) whatever the number of events replayed.
                context = fresh();
                self.fold(LOAD_ALL_EVENTS, &mut context).await?;
                context.current_snapshot = undecodable.map(|v| v as usize);
                context.replayed = context.replayed.max(self.snapshot_every);
            }
            Ok::<_, LoadError>(())
        };
        loaded.await.map_err(|err| match err {
            LoadError::Database(e) => AggregateError::DatabaseConnectionError(Box::new(e)),
            LoadError::Decode(e) => AggregateError::DeserializationError(Box::new(e)),
        })?;
        Ok(context)
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        mut context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let first = context.current_sequence + 1;
        let since_snapshot = context.replayed + events.len();
        let envelopes: Vec<EventEnvelope<A>> = events
            .into_iter()
            .zip(first..)
            .map(|(payload, sequence)| EventEnvelope {
                aggregate_id: context.aggregate_id.clone(),
                sequence,
                payload,
                metadata: metadata.clone(),
            })
            .collect();
        let Some(last) = envelopes.last().map(|e| e.sequence) else {
            // A cached state that asked for no change is decided again on a fresh load.
            if !TRACE.try_with(|t| t.get().cached).unwrap_or(false) {
                self.cache.keep(context);
            }
            return Ok(envelopes);
        };
        let snapshot_due = since_snapshot >= self.snapshot_every;
        let written = self
            .append(&context, &envelopes, &metadata, snapshot_due)
            .await
            .map_err(|err| match err.as_database_error() {
                Some(db) if db.is_unique_violation() => AggregateError::AggregateConflict,
                _ => AggregateError::DatabaseConnectionError(Box::new(err)),
            })?;
        trace(|t| t.written = Some(written));
        context.current_sequence = last;
        if snapshot_due {
            context.current_snapshot = Some(context.current_snapshot.map_or(1, |v| v + 1));
            context.replayed = 0;
        } else {
            context.replayed = since_snapshot;
        }
        self.cache.keep(context);
        Ok(envelopes)
    }
}
