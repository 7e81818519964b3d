use super::values::{Description, EntryId, PlaylistName};
use crate::{CatalogId, PlaylistId, TrackSnapshot, UserId};

/// A command on one playlist, issued by `actor`. With `expected_version` (from the
/// client's `If-Match`) it is refused unless the playlist is still at that version.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaylistCommand {
    pub actor: UserId,
    pub expected_version: Option<u64>,
    pub action: PlaylistAction,
}

/// A track about to be placed in the playlist, with the metadata the catalog had for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub entry_id: EntryId,
    pub track: TrackSnapshot,
}

/// Everything a restore brings back: the playlist as it was at some version.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaylistContents {
    pub name: String,
    pub description: String,
    pub is_public: bool,
    pub cover: Option<String>,
    pub tracks: Vec<NewEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PlaylistAction {
    /// Create the playlist, owned by the actor, with initial tracks (duplicates skipped).
    Create {
        playlist_id: PlaylistId,
        name: PlaylistName,
        description: Description,
        is_public: bool,
        tracks: Vec<NewEntry>,
    },
    /// Change the given details; unchanged values produce no event.
    UpdateDetails {
        name: Option<PlaylistName>,
        description: Option<Description>,
        is_public: Option<bool>,
    },
    /// Append one track; refused when it is already there.
    AddTrack {
        entry: NewEntry,
    },
    /// Append several tracks in order, skipping those already there.
    AddTracks {
        entries: Vec<NewEntry>,
    },
    RemoveTrack {
        track_id: CatalogId,
    },
    /// Move a track to `position` (0-based), shifting the tracks in between.
    MoveTrack {
        track_id: CatalogId,
        position: usize,
    },
    /// Set the cover image (a media store key).
    SetCover {
        cover: String,
    },
    /// Bring the playlist back to `target`, its state at `version`, by appending
    /// compensating events.
    Restore {
        version: u64,
        target: PlaylistContents,
    },
    Delete,
}
