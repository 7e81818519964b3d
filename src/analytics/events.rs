//! The event store read in global order for analysts: the order the projection engine
//! follows, `(tx_id, position)` over finished transactions only, so a cursor taken from one
//! page never skips an event whose transaction commits late.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

/// Which events to read; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Recorded at or after this time.
    pub since: Option<DateTime<Utc>>,
    pub event_type: Option<String>,
    pub aggregate_type: Option<String>,
}

/// One event as analysts see it: the command bus's metadata flattened into columns.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct EventRecord {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    pub actor: Option<String>,
    pub request_id: Option<String>,
    pub payload: serde_json::Value,
    /// The writing transaction, kept for the next cursor; not part of the output.
    #[serde(skip)]
    tx_id: String,
}

impl EventRecord {
    /// The cursor just after this event.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            tx_id: self.tx_id.clone(),
            position: self.position,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EventsError {
    #[error("no event has position {0} yet")]
    UnknownPosition(i64),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A place in the global order: just after the event at `position`.
///
/// Clients only hold positions; the transaction id that orders them is looked up again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    tx_id: String,
    position: i64,
}

impl Cursor {
    pub fn start() -> Self {
        Self {
            tx_id: "0".to_owned(),
            position: 0,
        }
    }

    /// The cursor after the event at `position`; 0 is the start (positions begin at 1).
    ///
    /// Only an event that could have been served counts: one of a transaction still
    /// overlapped by a running one is unknown, since resuming after it could skip the
    /// events of that older transaction.
    pub async fn after(pool: &PgPool, position: i64) -> Result<Self, EventsError> {
        if position == 0 {
            return Ok(Self::start());
        }
        let tx_id: Option<String> = sqlx::query_scalar(
            "select tx_id::text from events
              where position = $1 and tx_id < pg_snapshot_xmin(pg_current_snapshot())",
        )
        .bind(position)
        .fetch_optional(pool)
        .await?;
        tx_id
            .map(|tx_id| Self { tx_id, position })
            .ok_or(EventsError::UnknownPosition(position))
    }

    pub fn position(&self) -> i64 {
        self.position
    }
}

const MATCHING: &str = "(tx_id, position) > ($1::text::xid8, $2)
       and tx_id < pg_snapshot_xmin(pg_current_snapshot())
       and ($3::timestamptz is null or recorded_at >= $3)
       and ($4::text is null or event_type = $4)
       and ($5::text is null or aggregate_type = $5)";

/// Up to `limit` matching events after `cursor`, in global order.
///
/// Planned afresh for each call (not a cached generic plan): with the filters' real values
/// the planner walks the global-order index for common types and picks the type index for
/// rare ones, instead of one compromise plan for every value.
pub async fn page(
    pool: &PgPool,
    filter: &EventFilter,
    cursor: &Cursor,
    limit: i64,
) -> Result<Vec<EventRecord>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select position, recorded_at, aggregate_type, aggregate_id, sequence, event_type,
                event_version, metadata->>'actor' as actor, metadata->>'request_id' as request_id,
                payload, tx_id::text as tx_id
           from events
          where {MATCHING}
          order by tx_id, position
          limit $6"
    ))
    .persistent(false)
    .bind(&cursor.tx_id)
    .bind(cursor.position)
    .bind(filter.since)
    .bind(&filter.event_type)
    .bind(&filter.aggregate_type)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// How many matching events follow `cursor` now (for a progress bar).
pub async fn count(
    pool: &PgPool,
    filter: &EventFilter,
    cursor: &Cursor,
) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(&format!("select count(*) from events where {MATCHING}"))
        .bind(&cursor.tx_id)
        .bind(cursor.position)
        .bind(filter.since)
        .bind(&filter.event_type)
        .bind(&filter.aggregate_type)
        .fetch_one(pool)
        .await?;
    Ok(n as u64)
}
