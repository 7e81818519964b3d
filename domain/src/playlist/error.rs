use crate::CatalogId;

/// A value that failed its `parse`, naming the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct InvalidValue {
    pub field: &'static str,
    pub message: String,
}

impl InvalidValue {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaylistError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error("a playlist with this id already exists")]
    AlreadyExists,
    /// Never created, deleted, or another user's private playlist: callers cannot tell
    /// these apart, so a private playlist's existence does not leak.
    #[error("no such playlist")]
    NotFound,
    /// Another user's public playlist: readable, but only its owner changes it.
    #[error("only the playlist's owner may change it")]
    NotOwner,
    #[error("the playlist is at version {current}, not {expected}")]
    VersionMismatch { expected: u64, current: u64 },
    #[error("track {0} is already in the playlist")]
    TrackAlreadyAdded(CatalogId),
    #[error("track {0} is not in the playlist")]
    TrackNotInPlaylist(CatalogId),
    #[error("position {position} is out of range: the playlist has {len} tracks (positions 0 to {last})", last = len.saturating_sub(1))]
    PositionOutOfRange { position: usize, len: usize },
    #[error("a playlist holds at most {max} tracks")]
    Full { max: usize },
    #[error("no tracks were given")]
    NoTracks,
    #[error("there is no version {version}: the playlist is at version {current}")]
    NoSuchVersion { version: u64, current: u64 },
}
