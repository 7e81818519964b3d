use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::values::EntryId;
use crate::{CatalogId, PlaylistId, TrackSnapshot, UserId};

/// What happened to a playlist. Each change records who made it (`by`); a track's
/// metadata is copied in when it is added, so the history reads the same whatever the
/// catalog later says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PlaylistEvent {
    PlaylistCreated {
        playlist_id: PlaylistId,
        owner: UserId,
        name: String,
        description: String,
        is_public: bool,
    },
    /// Only the details that changed are present.
    DetailsUpdated {
        by: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_public: Option<bool>,
    },
    /// Appended at `position`, the end of the list.
    TrackAdded {
        by: UserId,
        entry_id: EntryId,
        track: TrackSnapshot,
        position: usize,
    },
    /// Removed from `position`; the tracks after it move up by one.
    TrackRemoved {
        by: UserId,
        track_id: CatalogId,
        position: usize,
    },
    /// The tracks between `from` and `to` shift by one towards `from`.
    TrackMoved {
        by: UserId,
        track_id: CatalogId,
        from: usize,
        to: usize,
    },
    /// A new cover (a media store key), or none.
    CoverChanged {
        by: UserId,
        cover: Option<String>,
    },
    /// Marks the start of the compensating events that bring the playlist back to its
    /// state at `to_version`.
    PlaylistRestored {
        by: UserId,
        to_version: u64,
    },
    PlaylistDeleted {
        by: UserId,
    },
}

impl DomainEvent for PlaylistEvent {
    fn event_type(&self) -> String {
        match self {
            Self::PlaylistCreated { .. } => "PlaylistCreated",
            Self::DetailsUpdated { .. } => "DetailsUpdated",
            Self::TrackAdded { .. } => "TrackAdded",
            Self::TrackRemoved { .. } => "TrackRemoved",
            Self::TrackMoved { .. } => "TrackMoved",
            Self::CoverChanged { .. } => "CoverChanged",
            Self::PlaylistRestored { .. } => "PlaylistRestored",
            Self::PlaylistDeleted { .. } => "PlaylistDeleted",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
