//! An event as read back from the store for projection, export and audit.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use sqlx::types::Json;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEvent {
    /// Position in the global order (unique; increases with insertion).
    pub position: i64,
    pub aggregate_type: String,
    pub aggregate_id: String,
    pub sequence: i64,
    pub event_type: String,
    pub event_version: String,
    /// The JSON as stored: decoded only into the type a reader wants, never into a tree
    /// first (projecting spent a fifth of its time building trees to throw away).
    pub payload: Json<Box<RawValue>>,
    pub metadata: Json<Box<RawValue>>,
    pub recorded_at: DateTime<Utc>,
}

impl StoredEvent {
    /// The payload as the domain's event enum (cqrs-es stores it externally tagged).
    pub fn decode<E: DeserializeOwned>(&self) -> Result<E, serde_json::Error> {
        serde_json::from_str(self.payload.get())
    }

    /// `decode` for a projector: a failure names the event that could not be read.
    pub fn decoded<E: DeserializeOwned>(&self) -> Result<E, crate::ProjectionError> {
        self.decode()
            .map_err(|e| crate::ProjectionError::decode(self, e))
    }

    /// A metadata entry written by the command bus (`actor`, `request_id`).
    pub fn meta(&self, key: &str) -> Option<String> {
        serde_json::from_str::<HashMap<String, serde_json::Value>>(self.metadata.get())
            .ok()?
            .remove(key)?
            .as_str()
            .map(str::to_owned)
    }
}

/// The columns of `StoredEvent`, for queries that read events.
pub const EVENT_COLUMNS: &str = "position, aggregate_type, aggregate_id, sequence, event_type, \
     event_version, payload, metadata, recorded_at";
