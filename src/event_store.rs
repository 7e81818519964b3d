//! An event store over postgres-es's repository that takes snapshots correctly.
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
//! snapshot: were they read apart, another instance could commit events and a newer
//! snapshot in between, and this command's snapshot update would then miss, after
//! postgres-es has already committed its events (it checks the update's row count after
//! the commit), so a command that succeeded would be reported as a conflict and retried.
//! Read together, a concurrent writer makes this command's first event collide with its
//! own on the events' primary key, and nothing is committed. The rows are folded as they
//! arrive, so a long history without a snapshot is never held in memory at once.

use std::collections::HashMap;

use cqrs_es::{
    Aggregate, AggregateContext, AggregateError, EventEnvelope, EventStore,
    persist::{PersistedEventRepository, SerializedEvent},
};
use futures::TryStreamExt;
use postgres_es::PostgresEventRepository;
use sqlx::PgPool;

pub struct SnapshotEventStore {
    pool: PgPool,
    repo: PostgresEventRepository,
    snapshot_every: usize,
}

impl SnapshotEventStore {
    pub fn new(pool: PgPool, snapshot_every: usize) -> Self {
        Self {
            repo: PostgresEventRepository::new(pool.clone()),
            pool,
            snapshot_every: snapshot_every.max(1),
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

/// An aggregate as loaded for a command.
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

impl<A> EventStore<A> for SnapshotEventStore
where
    A: Aggregate + Send + Sync,
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
        let mut context = SnapshotContext {
            aggregate_id: aggregate_id.to_owned(),
            aggregate: A::default(),
            current_sequence: 0,
            current_snapshot: None,
            replayed: 0,
        };
        let mut rows =
            sqlx::query_as::<_, (bool, i64, Option<i64>, serde_json::Value)>(LOAD_AGGREGATE)
                .bind(A::TYPE)
                .bind(aggregate_id)
                .fetch(&self.pool);
        while let Some((is_snapshot, sequence, version, payload)) = rows
            .try_next()
            .await
            .map_err(|e| AggregateError::DatabaseConnectionError(Box::new(e)))?
        {
            let undecodable = |e| AggregateError::DeserializationError(Box::new(e));
            if is_snapshot {
                context.aggregate = serde_json::from_value(payload).map_err(undecodable)?;
                context.current_snapshot = version.map(|v| v as usize);
            } else {
                context
                    .aggregate
                    .apply(serde_json::from_value(payload).map_err(undecodable)?);
                context.replayed += 1;
            }
            context.current_sequence = sequence as usize;
        }
        Ok(context)
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let first = context.current_sequence + 1;
        let since_snapshot = context.replayed + events.len();
        let snapshot = if !events.is_empty() && since_snapshot >= self.snapshot_every {
            let state = serde_json::to_value(&context.aggregate)
                .map_err(|e| AggregateError::UnexpectedError(Box::new(e)))?;
            Some((
                context.aggregate_id.clone(),
                state,
                context.current_snapshot.map_or(1, |n| n + 1),
            ))
        } else {
            None
        };
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
        let serialized = envelopes
            .iter()
            .map(SerializedEvent::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        self.repo.persist::<A>(&serialized, snapshot).await?;
        Ok(envelopes)
    }
}
