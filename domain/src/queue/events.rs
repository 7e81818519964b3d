use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{aggregate::QueueEntry, commands::PlaySource};
use crate::TrackSnapshot;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum QueueEvent {
    QueueReplaced {
        entries: Vec<QueueEntry>,
        source: PlaySource,
    },
    TrackEnqueued {
        entry: QueueEntry,
        position: usize,
    },
    RadioTracksAppended {
        entries: Vec<QueueEntry>,
    },
    /// The oldest `removed` entries (all before the current one) were dropped, so a queue
    /// that plays forever in radio mode stays bounded.
    QueueTrimmed {
        removed: usize,
    },
    PlaybackMoved {
        position: usize,
    },
    /// A track became current: the listening history is made of these.
    TrackPlayed {
        play_id: Uuid,
        entry_id: Uuid,
        track: TrackSnapshot,
    },
    /// The new order of the entries after the current one.
    QueueShuffled {
        order: Vec<Uuid>,
    },
    QueueCleared,
}

impl DomainEvent for QueueEvent {
    fn event_type(&self) -> String {
        match self {
            Self::QueueReplaced { .. } => "QueueReplaced",
            Self::TrackEnqueued { .. } => "TrackEnqueued",
            Self::RadioTracksAppended { .. } => "RadioTracksAppended",
            Self::QueueTrimmed { .. } => "QueueTrimmed",
            Self::PlaybackMoved { .. } => "PlaybackMoved",
            Self::TrackPlayed { .. } => "TrackPlayed",
            Self::QueueShuffled { .. } => "QueueShuffled",
            Self::QueueCleared => "QueueCleared",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1.0".to_owned()
    }
}
