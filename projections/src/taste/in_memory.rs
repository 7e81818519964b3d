//! A full rebuild of the taste model folded in memory and written once. Applying batch by
//! batch updates the same artist and album rows over and over, and since their scores are
//! indexed, every update inside the one rebuild transaction leaves index entries behind
//! that cannot be cleaned until it commits; most of a rebuild was that upkeep.
//!
//! The arithmetic is the SQL path's, step for step (the same additions in event order, the
//! same subtraction and residue test), so both come to the same bits: the batching test
//! rebuilds this way and verifies the result against a replay through `apply`.
//!
//! Memory is bounded: past `budget` rows the fold is written as it stands and the rest of
//! the rebuild goes through `apply`, which carries on from the written rows.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{RESIDUE, Signal, Source, signal};
use crate::{
    ProjectionError, StoredEvent, copy_rows::CopyRows, engine::Fold, track_columns::db_id,
};

/// A user or an artist name, by the order it was first seen: rows keep 4 bytes, not the
/// value (a full rebuild holds millions of rows and only thousands of users and names).
type Interned = u32;

pub(super) struct TasteInMemory {
    budget: usize,
    users: Interner<Uuid>,
    names: Interner<String>,
    artists: HashMap<(Interned, i64), Artist>,
    albums: HashMap<(Interned, i64), f64>,
    /// By source (aggregate type, then id), then by track: a deleted playlist forgets its
    /// entries at once.
    contributions: HashMap<&'static str, HashMap<String, Entries>>,
    contribution_rows: usize,
}

type Entries = HashMap<i64, Contribution>;

struct Artist {
    name: Interned,
    seed_track_id: i64,
    score: f64,
}

struct Contribution {
    score: f64,
    artist_id: i64,
    /// Meaningful only `with_album`: an `Option` would take 8 bytes more.
    album_id: i64,
    user: Interned,
    with_album: bool,
}

struct Interner<T> {
    index: HashMap<T, Interned>,
    values: Vec<T>,
}

impl<T: std::hash::Hash + Eq + Clone> Interner<T> {
    fn new() -> Self {
        Self {
            index: HashMap::new(),
            values: Vec::new(),
        }
    }

    fn get<Q>(&mut self, value: &Q) -> Interned
    where
        T: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = T> + ?Sized,
    {
        if let Some(&i) = self.index.get(value) {
            return i;
        }
        let i = self.values.len() as Interned;
        self.values.push(value.to_owned());
        self.index.insert(value.to_owned(), i);
        i
    }

    fn value(&self, i: Interned) -> &T {
        &self.values[i as usize]
    }
}

impl TasteInMemory {
    /// A fold that writes itself out once it holds more than `budget` rows.
    pub(super) fn new(budget: usize) -> Self {
        Self {
            budget,
            users: Interner::new(),
            names: Interner::new(),
            artists: HashMap::new(),
            albums: HashMap::new(),
            contributions: HashMap::new(),
            contribution_rows: 0,
        }
    }

    fn rows(&self) -> usize {
        self.artists.len() + self.albums.len() + self.contribution_rows
    }

    fn apply(&mut self, signal: Signal<'_>) {
        match signal {
            Signal::Gain {
                user,
                track,
                score,
                source,
            } => {
                let user = self.users.get(&user);
                let name = self.names.get(track.artist_name.as_str());
                let artist_id = db_id(track.artist_id);
                let track_id = db_id(track.track_id);
                // The artist's name and seed track are those of its latest signal.
                self.artists
                    .entry((user, artist_id))
                    .and_modify(|a| {
                        a.score += score;
                        a.name = name;
                        a.seed_track_id = track_id;
                    })
                    .or_insert(Artist {
                        name,
                        seed_track_id: track_id,
                        score,
                    });
                let album_id = track.album_id.map(db_id);
                if let Some(album) = album_id {
                    self.albums
                        .entry((user, album))
                        .and_modify(|s| *s += score)
                        .or_insert(score);
                }
                if let Some(source) = source {
                    let entries = self
                        .contributions
                        .entry(source.aggregate_type)
                        .or_default()
                        .entry(source.id.to_owned())
                        .or_default();
                    // A contribution keeps the user, artist and album of the signal that
                    // created it.
                    match entries.entry(track_id) {
                        std::collections::hash_map::Entry::Occupied(mut c) => {
                            c.get_mut().score += score;
                        }
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(Contribution {
                                score,
                                artist_id,
                                album_id: album_id.unwrap_or_default(),
                                user,
                                with_album: album_id.is_some(),
                            });
                            self.contribution_rows += 1;
                        }
                    }
                }
            }
            Signal::TakeBack { source, track_id } => self.take_back(source, track_id),
            Signal::Forget(source) => {
                if let Some(entries) = self
                    .contributions
                    .get_mut(source.aggregate_type)
                    .and_then(|sources| sources.remove(source.id))
                {
                    self.contribution_rows -= entries.len();
                }
            }
        }
    }

    fn take_back(&mut self, source: Source<'_>, track_id: i64) {
        let Some(taken) = self
            .contributions
            .get_mut(source.aggregate_type)
            .and_then(|sources| sources.get_mut(source.id))
            .and_then(|entries| entries.remove(&track_id))
        else {
            return;
        };
        self.contribution_rows -= 1;
        let floor = taken.score * RESIDUE;
        let artist = (taken.user, taken.artist_id);
        if let Some(row) = self.artists.get_mut(&artist) {
            row.score -= taken.score;
            if row.score <= floor {
                self.artists.remove(&artist);
            }
        }
        let album = (taken.user, taken.album_id);
        if taken.with_album
            && let Some(score) = self.albums.get_mut(&album)
        {
            *score -= taken.score;
            if *score <= floor {
                self.albums.remove(&album);
            }
        }
    }

    /// `rows` sorted by primary key, the user as its UUID: inserted in that order, each
    /// lands next to the one before in the index instead of on a random page of it.
    fn in_key_order<'m, V>(
        &self,
        rows: &'m HashMap<(Interned, i64), V>,
    ) -> Vec<(Uuid, i64, &'m V)> {
        let mut rows: Vec<_> = rows
            .iter()
            .map(|((user, id), v)| (*self.users.value(*user), *id, v))
            .collect();
        rows.sort_unstable_by_key(|(user, id, _)| (*user, *id));
        rows
    }

    async fn write_artists(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let mut copy = CopyRows::start(
            conn,
            "taste_artists",
            "user_id, artist_id, artist_name, seed_track_id, score",
        )
        .await?;
        for (user, artist, row) in self.in_key_order(&self.artists) {
            copy.uuid(user)
                .int(artist)
                .text(self.names.value(row.name))
                .int(row.seed_track_id)
                .float(row.score);
            copy.end_row().await?;
        }
        copy.finish().await?;
        Ok(())
    }

    async fn write_albums(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let mut copy = CopyRows::start(conn, "taste_albums", "user_id, album_id, score").await?;
        for (user, album, score) in self.in_key_order(&self.albums) {
            copy.uuid(user).int(album).float(*score);
            copy.end_row().await?;
        }
        copy.finish().await?;
        Ok(())
    }

    async fn write_contributions(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let mut copy = CopyRows::start(
            conn,
            "taste_contributions",
            "source_type, source_id, track_id, user_id, artist_id, album_id, score",
        )
        .await?;
        let mut kinds: Vec<_> = self.contributions.iter().collect();
        kinds.sort_unstable_by_key(|(kind, _)| **kind);
        for (kind, sources) in kinds {
            let mut sources: Vec<_> = sources.iter().collect();
            sources.sort_unstable_by_key(|(id, _)| id.as_str());
            for (id, entries) in sources {
                let mut entries: Vec<_> = entries.iter().collect();
                entries.sort_unstable_by_key(|(track, _)| **track);
                for (track, c) in entries {
                    copy.text(kind)
                        .text(id)
                        .int(*track)
                        .uuid(*self.users.value(c.user))
                        .int(c.artist_id)
                        .opt_int(c.with_album.then_some(c.album_id))
                        .float(c.score);
                    copy.end_row().await?;
                }
            }
        }
        copy.finish().await?;
        Ok(())
    }
}

#[async_trait]
impl Fold for TasteInMemory {
    fn fold(&mut self, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        for event in events {
            if let Some(signal) = signal(event)? {
                self.apply(signal);
            }
        }
        Ok(())
    }

    fn is_full(&self) -> bool {
        self.rows() > self.budget
    }

    async fn write(self: Box<Self>, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        self.write_artists(conn).await?;
        self.write_albums(conn).await?;
        self.write_contributions(conn).await?;
        Ok(())
    }
}
