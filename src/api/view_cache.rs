//! Rendered answers of the heaviest reads, each kept with the version of the read model it
//! was rendered from.
//!
//! A read asks the database for the read model's version and, only when that differs from
//! the kept answer's, for its rows (one statement either way, see
//! `projections::Versioned`). The version comes from the read model's own rows in the
//! same snapshot as the rows, and is derived from the events alone, so an answer is never
//! served after a change committed by any instance, and a rebuild that reproduces the
//! same rows reproduces the same versions. What this saves is PostgreSQL reading and
//! sending the rows and this process decoding and rendering them: on a queue of 50 tracks,
//! all but one index look-up.

use std::{hash::Hash, sync::Arc};

use projections::Versioned;
use serde::Serialize;
use uuid::Uuid;

use super::kept_json::{Interner, KeptJson, members, whole};

/// A rendered answer and what it was rendered from.
pub struct Cached<M> {
    pub version: i64,
    /// What the answer needs besides its body (e.g. a page's total, sent in a header).
    pub meta: M,
    pub body: KeptJson,
}

/// The version a read is given for the kept answer, if any.
pub fn version_of<M>(known: &Option<Arc<Cached<M>>>) -> Option<i64> {
    known.as_ref().map(|kept| kept.version)
}

/// Kept answers of one kind, at most about `budget` bytes of them.
pub struct Answers<K, M> {
    kept: moka::sync::Cache<K, Arc<Cached<M>>>,
}

impl<K, M> Answers<K, M>
where
    K: Hash + Eq + Send + Sync + 'static,
    M: Send + Sync + 'static,
{
    fn with_budget(budget: u64) -> Self {
        Self {
            kept: moka::sync::Cache::builder()
                .weigher(|_, answer: &Arc<Cached<M>>| {
                    let size = size_of::<K>() + size_of::<Cached<M>>() + answer.body.own_size();
                    size.try_into().unwrap_or(u32::MAX)
                })
                .max_capacity(budget)
                .build(),
        }
    }

    /// The kept answer, whose version the read is to be given.
    pub fn known(&self, key: &K) -> Option<Arc<Cached<M>>> {
        self.kept.get(key)
    }

    /// The kept answer if `read` found its version unchanged, else the answer rendered
    /// from the rows `read` brought, kept for next time.
    pub fn answer<T>(
        &self,
        key: K,
        known: Option<Arc<Cached<M>>>,
        read: Versioned<T>,
        render: impl FnOnce(T) -> (M, KeptJson),
    ) -> Arc<Cached<M>> {
        match known {
            Some(kept) if kept.version == read.version => kept,
            _ => {
                let (meta, body) = render(read.rows);
                let answer = Arc::new(Cached {
                    version: read.version,
                    meta,
                    body,
                });
                self.kept.insert(key, answer.clone());
                answer
            }
        }
    }
}

/// The list of playlists one viewer asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListKey {
    pub viewer: Uuid,
    pub mine: bool,
    pub limit: i64,
    pub offset: i64,
}

/// The answers kept by this process. Each kind has its own budget, so one kind's traffic
/// cannot push out every answer of another.
pub struct ViewCache {
    pub queue_tracks: Answers<Uuid, ()>,
    /// A user's plays: user, limit, offset.
    pub history: Answers<(Uuid, i64, i64), ()>,
    pub playlists: Answers<Uuid, ()>,
    /// The total of the list, for its header.
    pub playlist_lists: Answers<ListKey, i64>,
    /// Each track's metadata and each listed playlist as JSON, shared by every answer that
    /// shows it.
    pieces: Interner,
}

const MIB: u64 = 1 << 20;

/// A track's metadata as every answer that shows tracks writes it (queue entries,
/// playlist tracks, plays), each next to the members of its own entry.
#[derive(Serialize)]
pub struct TrackMembers<'a> {
    pub track_id: String,
    pub track_title: &'a str,
    pub artist_id: String,
    pub artist_name: &'a str,
    pub album_title: &'a str,
    pub album_cover: &'a str,
    pub duration: i64,
}

impl ViewCache {
    /// The track's members, shared with every kept answer that shows the same metadata.
    pub fn track(&self, track: &TrackMembers) -> Arc<str> {
        self.pieces.intern(members(track))
    }

    /// `value`'s JSON, shared with every kept answer that shows the same.
    pub fn shared<T: Serialize>(&self, value: &T) -> Arc<str> {
        self.pieces.intern(whole(value))
    }
}

impl Default for ViewCache {
    /// About 40 MB in all when full: the budgets hold the answers for some 2,800 queues
    /// of 50 tracks, 3,200 pages of 50 plays, 2,800 playlists of 100 tracks and 8,000
    /// pages of 20 playlists, and 30,000 tracks' and playlists' shared pieces.
    fn default() -> Self {
        Self {
            queue_tracks: Answers::with_budget(6 * MIB),
            history: Answers::with_budget(8 * MIB),
            playlists: Answers::with_budget(14 * MIB),
            playlist_lists: Answers::with_budget(4 * MIB),
            pieces: Interner::with_budget(8 * MIB),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::kept_json::Items;

    fn body(items: &[&str]) -> KeptJson {
        KeptJson::array(Items::Shared(items.iter().map(|&i| i.into()).collect()))
    }

    #[test]
    fn an_answer_is_rendered_again_only_when_its_version_moves() {
        let answers: Answers<u8, ()> = Answers::with_budget(MIB);
        let read = |version, rows: &'static [&'static str]| Versioned { version, rows };
        let first = answers.answer(1, answers.known(&1), read(3, &["1"]), |r| ((), body(r)));
        assert_eq!(first.body.render(), b"[1]");
        // Unchanged: the read left its rows out, and the kept answer is the one served.
        let same = answers.answer(1, answers.known(&1), read(3, &[]), |r| ((), body(r)));
        assert!(Arc::ptr_eq(&first, &same));
        let moved = answers.answer(1, answers.known(&1), read(4, &["1", "2"]), |r| {
            ((), body(r))
        });
        assert_eq!(moved.body.render(), b"[1,2]");
        assert_eq!(answers.known(&1).unwrap().version, 4);
    }
}
