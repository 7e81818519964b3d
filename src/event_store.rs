//! An event store over postgres-es's repository that takes snapshots correctly.
//!
//! cqrs-es 0.5 applies each event to the aggregate as the command writes it
//! (`EventSink::write`), and its snapshot store applies the same events once more before
//! saving the snapshot, so snapshots hold every recent event twice. Here the snapshot is
//! the aggregate exactly as the command left it, with no second application.

use std::collections::HashMap;

use cqrs_es::{
    Aggregate, AggregateError, EventEnvelope, EventStore,
    persist::{EventStoreAggregateContext, PersistedEventRepository, SerializedEvent},
};
use postgres_es::PostgresEventRepository;

pub struct SnapshotEventStore {
    repo: PostgresEventRepository,
    /// Take a snapshot each time the sequence crosses a multiple of this; `None`: never.
    snapshot_every: Option<usize>,
}

impl SnapshotEventStore {
    pub fn new(repo: PostgresEventRepository, snapshot_every: Option<usize>) -> Self {
        Self {
            repo,
            snapshot_every: snapshot_every.filter(|&n| n > 0),
        }
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
    type AC = EventStoreAggregateContext<A>;

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
        let snapshot = match self.snapshot_every {
            Some(_) => self.repo.get_snapshot::<A>(aggregate_id).await?,
            None => None,
        };
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
        for event in events {
            let (sequence, payload) = decode::<A>(event)?;
            aggregate.apply(payload);
            current_sequence = sequence;
        }
        Ok(EventStoreAggregateContext {
            aggregate_id: aggregate_id.to_owned(),
            aggregate,
            current_sequence,
            current_snapshot,
        })
    }

    async fn commit(
        &self,
        events: Vec<A::Event>,
        context: Self::AC,
        metadata: HashMap<String, String>,
    ) -> Result<Vec<EventEnvelope<A>>, AggregateError<A::Error>> {
        let first = context.current_sequence + 1;
        let last = context.current_sequence + events.len();
        let snapshot = match self.snapshot_every {
            Some(every)
                if !events.is_empty() && last / every > context.current_sequence / every =>
            {
                let state = serde_json::to_value(&context.aggregate)
                    .map_err(|e| AggregateError::UnexpectedError(Box::new(e)))?;
                Some((
                    context.aggregate_id.clone(),
                    state,
                    context.current_snapshot.map_or(1, |n| n + 1),
                ))
            }
            _ => None,
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
