#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    #[error("the queue is empty")]
    Empty,
    #[error("position {position} is out of range: the queue has {len} tracks (positions 0 to {last})", last = len.saturating_sub(1))]
    PositionOutOfRange { position: usize, len: usize },
    #[error("the queue is full ({max} tracks)")]
    Full { max: usize },
    #[error("there are no tracks to play")]
    NoTracks,
    #[error("track {0} is not in the queue")]
    TrackNotInQueue(String),
    #[error("the track at position {position} is not track {track_id}")]
    TrackMismatch { position: usize, track_id: String },
}
