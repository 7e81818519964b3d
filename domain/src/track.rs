//! What PlayPod remembers of a catalog track when it is added somewhere.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::CatalogId;

/// The track's metadata as the catalog had it at the moment of the command, stored in the
/// event so history stays readable when the catalog changes or is unreachable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackSnapshot {
    pub track_id: CatalogId,
    pub title: String,
    pub artist_id: CatalogId,
    pub artist_name: String,
    pub album_id: Option<CatalogId>,
    pub album_title: String,
    pub album_cover: String,
    /// Seconds.
    pub duration: u32,
}

/// Where an aggregate holds a track: `shared` offers a copy held elsewhere, taken only when
/// equal, so that aggregates in memory can hold one copy of each track.
pub(crate) fn share(
    track: &mut Arc<TrackSnapshot>,
    shared: &mut impl FnMut(&Arc<TrackSnapshot>) -> Arc<TrackSnapshot>,
) {
    let copy = shared(track);
    if copy == *track {
        *track = copy;
    }
}
