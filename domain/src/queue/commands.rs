use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{CatalogId, PlaylistId, TrackSnapshot};

/// What started the current queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlaySource {
    Playlist {
        playlist_id: PlaylistId,
    },
    /// Radio mode seeded by a track (play-recommendation).
    Radio {
        seed_track: CatalogId,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueueCommand {
    /// Replace the queue with `tracks` from `start` on, the track at `start` playing first;
    /// with a seed, the tracks after it are shuffled.
    Play {
        tracks: Vec<TrackSnapshot>,
        start: usize,
        shuffle_seed: Option<u64>,
        source: PlaySource,
    },
    /// Append a track at the end, as the entry `entry_id` (chosen by the caller so that
    /// it can find the entry afterwards).
    Enqueue {
        entry_id: Uuid,
        track: TrackSnapshot,
    },
    /// Move to the next entry; at the end, append `radio` tracks and play the first.
    Next {
        radio: Vec<TrackSnapshot>,
    },
    /// Move to the previous entry (staying on the first).
    Previous,
    /// Play the entry at `position`.
    JumpTo {
        position: usize,
    },
    /// Set the current entry by position and/or track (PATCH of the queue).
    Select {
        position: Option<usize>,
        track_id: Option<CatalogId>,
    },
    /// Play this track now: its entry if queued (after the current one first), else a new
    /// entry `entry_id` right after the current one.
    Stream {
        entry_id: Uuid,
        track: TrackSnapshot,
    },
    /// Shuffle the entries after the current one.
    Shuffle {
        seed: u64,
    },
    Clear,
}
