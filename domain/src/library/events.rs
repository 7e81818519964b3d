use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::{CatalogId, TrackSnapshot, playlist::EntryId};

/// What happened to a library. The actor is always its owner (the aggregate id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LibraryEvent {
    /// With the track's metadata as the catalog had it then.
    FavoriteAdded {
        entry_id: EntryId,
        track: TrackSnapshot,
    },
    FavoriteRemoved {
        track_id: CatalogId,
    },
}

impl DomainEvent for LibraryEvent {
    fn event_type(&self) -> String {
        match self {
            Self::FavoriteAdded { .. } => "FavoriteAdded",
            Self::FavoriteRemoved { .. } => "FavoriteRemoved",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
