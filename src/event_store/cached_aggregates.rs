//! Aggregates as the last command on each left them, so that the next command on the same
//! aggregate is decided without loading it. Loading was most of a command's database work:
//! a snapshot of tens of kilobytes and up to 49 events after it, read, converted to text
//! and decoded.
//!
//! A cached state may be behind when another instance wrote the aggregate since. A command
//! decided on it then writes at a sequence already taken, its first event collides on the
//! events' primary key and nothing is committed; the command bus decides it again on a
//! fresh load. It does the same when a command decided on a cached state failed or wrote
//! nothing, since on the newer state it might not have.
//!
//! A command takes its aggregate out of the cache and puts back the state it leaves, so
//! the aggregate is never copied; one that fails puts nothing back.

use std::sync::Arc;

use cqrs_es::Aggregate;
use domain::{CatalogId, TrackSnapshot, library::Library, playlist::Playlist, queue::Queue};

use super::SnapshotContext;

/// An aggregate the cache can hold.
pub trait Cacheable: Aggregate + Clone + 'static {
    /// Points the aggregate at the shared copy of each track it holds.
    fn share_tracks(&mut self, _tracks: &SharedTracks) {}

    /// About how many bytes the aggregate holds besides the tracks it shares.
    fn weight(&self) -> usize;
}

impl Cacheable for Queue {
    fn share_tracks(&mut self, tracks: &SharedTracks) {
        Queue::share_tracks(self, |track| tracks.copy_of(track));
    }

    fn weight(&self) -> usize {
        size_of::<Self>() + size_of_val(self.entries())
    }
}

impl Cacheable for Playlist {
    fn share_tracks(&mut self, tracks: &SharedTracks) {
        Playlist::share_tracks(self, |track| tracks.copy_of(track));
    }

    fn weight(&self) -> usize {
        let details = self
            .details()
            .map_or(0, |d| d.name.len() + d.description.len() + 64);
        size_of::<Self>() + details + size_of_val(self.tracks())
    }
}

impl Cacheable for Library {
    fn weight(&self) -> usize {
        // A BTreeSet of ids: the id and about as much again of node overhead.
        size_of::<Self>() + self.favorite_count() * 16
    }
}

/// One copy of each track that cached aggregates hold, by track id. A track whose metadata
/// changed in the catalog since replaces the older copy here; aggregates that hold the
/// older copy keep it (what an aggregate holds comes from its events, whatever the copy).
#[derive(Clone)]
pub struct SharedTracks {
    copies: moka::sync::Cache<CatalogId, Arc<TrackSnapshot>>,
}

impl SharedTracks {
    pub fn new(budget_bytes: u64) -> Self {
        Self {
            copies: moka::sync::Cache::builder()
                .max_capacity(budget_bytes)
                .weigher(|_, track: &Arc<TrackSnapshot>| {
                    let text = track.title.len()
                        + track.artist_name.len()
                        + track.album_title.len()
                        + track.album_cover.len();
                    (size_of::<TrackSnapshot>() + text)
                        .try_into()
                        .unwrap_or(u32::MAX)
                })
                .build(),
        }
    }

    fn copy_of(&self, track: &Arc<TrackSnapshot>) -> Arc<TrackSnapshot> {
        match self.copies.get(&track.track_id) {
            Some(copy) if copy == *track => copy,
            _ => {
                self.copies.insert(track.track_id, track.clone());
                track.clone()
            }
        }
    }
}

pub struct CachedAggregates<A: Cacheable> {
    entries: moka::sync::Cache<String, Arc<SnapshotContext<A>>>,
    tracks: SharedTracks,
}

impl<A: Cacheable> CachedAggregates<A> {
    pub fn new(budget_bytes: u64, tracks: SharedTracks) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(budget_bytes)
                .weigher(|id: &String, context: &Arc<SnapshotContext<A>>| {
                    (id.len() + context.aggregate.weight())
                        .try_into()
                        .unwrap_or(u32::MAX)
                })
                .build(),
            tracks,
        }
    }

    pub fn take(&self, aggregate_id: &str) -> Option<SnapshotContext<A>> {
        self.entries.remove(aggregate_id).map(Arc::unwrap_or_clone)
    }

    /// `look` at the kept aggregate, leaving it kept.
    pub fn peek<R>(&self, aggregate_id: &str, look: impl FnOnce(&A) -> R) -> Option<R> {
        self.entries
            .get(aggregate_id)
            .map(|context| look(&context.aggregate))
    }

    /// Keeps the aggregate for the next command; answers it as kept.
    pub fn keep(&self, mut context: SnapshotContext<A>) -> Arc<SnapshotContext<A>> {
        context.aggregate.share_tracks(&self.tracks);
        context.cached = false;
        let kept = Arc::new(context);
        self.entries.insert(kept.aggregate_id.clone(), kept.clone());
        kept
    }
}

#[cfg(test)]
mod tests {
    use domain::queue::{QueueEntry, QueueEvent};
    use uuid::Uuid;

    use super::*;

    fn track(id: u64, title: &str) -> TrackSnapshot {
        TrackSnapshot {
            track_id: CatalogId::new(id).unwrap(),
            title: title.into(),
            artist_id: CatalogId::new(27).unwrap(),
            artist_name: "Daft Punk".into(),
            album_id: None,
            album_title: "Discovery".into(),
            album_cover: String::new(),
            duration: 212,
        }
    }

    fn queue_of(tracks: &[TrackSnapshot]) -> Queue {
        let mut queue = Queue::default();
        for (position, track) in tracks.iter().enumerate() {
            let entry = QueueEntry::new(Uuid::now_v7(), track.clone());
            queue.apply(QueueEvent::TrackEnqueued { entry, position });
        }
        queue
    }

    fn context(id: &str, aggregate: Queue) -> SnapshotContext<Queue> {
        SnapshotContext {
            aggregate_id: id.into(),
            aggregate,
            current_sequence: 1,
            current_snapshot: None,
            replayed: 1,
            cached: false,
        }
    }

    #[test]
    fn kept_aggregates_hold_one_copy_of_each_track_and_never_a_different_one() {
        let cache = CachedAggregates::new(1 << 20, SharedTracks::new(1 << 20));
        let (one, renamed) = (track(1, "One More Time"), track(1, "One More Time (Edit)"));
        cache.keep(context(
            "a",
            queue_of(&[one.clone(), track(2, "Aerodynamic")]),
        ));
        cache.keep(context("b", queue_of(std::slice::from_ref(&one))));
        cache.keep(context("c", queue_of(std::slice::from_ref(&renamed))));

        let [a, b, c] = ["a", "b", "c"].map(|id| cache.take(id).expect("kept").aggregate);
        assert!(Arc::ptr_eq(&a.entries()[0].track, &b.entries()[0].track));
        assert_eq!(
            *c.entries()[0].track,
            renamed,
            "a changed track is its own copy"
        );
        assert_eq!(*a.entries()[0].track, one);
        assert!(cache.take("a").is_none(), "taken out, not copied");
    }
}
