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
/// equal, so that aggregates in memory can hold one copy of each track. Applying an event
/// leaves its track held once; a track held more than once is a shared copy already, and
/// is not offered again (a command on a long queue would look up every track it holds).
pub(crate) fn share(
    track: &mut Arc<TrackSnapshot>,
    shared: &mut impl FnMut(&Arc<TrackSnapshot>) -> Arc<TrackSnapshot>,
) {
    if Arc::strong_count(track) > 1 {
        return;
    }
    let copy = shared(track);
    if copy == *track {
        *track = copy;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(title: &str) -> TrackSnapshot {
        TrackSnapshot {
            track_id: CatalogId::new(3135556).unwrap(),
            title: title.into(),
            artist_id: CatalogId::new(27).unwrap(),
            artist_name: "Daft Punk".into(),
            album_id: None,
            album_title: "Discovery".into(),
            album_cover: String::new(),
            duration: 212,
        }
    }

    #[test]
    fn a_track_held_once_takes_an_equal_copy_and_only_an_equal_one() {
        let copy = Arc::new(track("Harder, Better, Faster, Stronger"));
        let mut held = Arc::new(track("Harder, Better, Faster, Stronger"));
        share(&mut held, &mut |_| copy.clone());
        assert!(Arc::ptr_eq(&held, &copy));

        let mut renamed = Arc::new(track("Harder Better Faster Stronger (Edit)"));
        share(&mut renamed, &mut |_| copy.clone());
        assert!(!Arc::ptr_eq(&renamed, &copy));
    }

    #[test]
    fn a_track_held_more_than_once_is_not_looked_up_again() {
        let mut held = Arc::new(track("One More Time"));
        let _elsewhere = held.clone();
        let mut offered = 0;
        share(&mut held, &mut |t| {
            offered += 1;
            t.clone()
        });
        assert_eq!(offered, 0);
    }
}
