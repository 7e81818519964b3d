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

use std::collections::HashMap;

use cqrs_es::{
    Aggregate, AggregateContext, AggregateError, EventEnvelope, EventStore,
    persist::{PersistedEventRepository, SerializedEvent},
};
use postgres_es::PostgresEventRepository;

pub struct SnapshotEventStore {
    repo: PostgresEventRepository,
    snapshot_every: usize,
}

impl SnapshotEventStore {
    pub fn new(repo: PostgresEventRepository, snapshot_every: usize) -> Self {
        Self {
            repo,
            snapshot_every: snapshot_every.max(1),
        }
    }
}

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
        let snapshot = self.repo.get_snapshot::<A>(aggregate_id).await?;
        let (mut aggregate, mut current_sequence, current_snapshot) = match snapshot {
            Some(s) => (
                serde_json::from_value::<A>(s.aggregate)
                    .map_err(|e| AggregateError::DeserializationError(Box::new(e)))?,
                s.current_sequence,
                Some(s.current_snapshot),
            ),
            None => (A::default(), 0, None),
        };
        let events = if current_sequence == 0 {
            self.repo.get_events::<A>(aggregate_id).await?
        } else {
            self.repo
                .get_last_events::<A>(aggregate_id, current_sequence)
                .await?
        };
        let replayed = events.len();
        for event in events {
            let (sequence, payload) = decode::<A>(event)?;
            aggregate.apply(payload);
            current_sequence = sequence;
        }
        Ok(SnapshotContext {
            aggregate_id: aggregate_id.to_owned(),
            aggregate,
            current_sequence,
            current_snapshot,
            replayed,
        })
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
