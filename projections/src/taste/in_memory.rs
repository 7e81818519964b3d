//! A full rebuild of the taste model folded in memory and written once. Applying batch by
//! batch updates the same artist and album rows over and over, and since their scores are
//! indexed, every update inside the one rebuild transaction leaves index entries behind
//! that cannot be cleaned until it commits; most of a rebuild was that upkeep.
//!
//! The arithmetic is the SQL path's, step for step (the same additions in event order, the
//! same subtraction and residue test), so both come to the same bits: the batching test
//! rebuilds this way and verifies the result against a replay through `apply`.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{RESIDUE, Signal, Source, signal};
use crate::{
    ProjectionError, StoredEvent, copy_rows::CopyRows, engine::Fold, track_columns::db_id,
};

#[derive(Default)]
pub(super) struct TasteInMemory {
    artists: HashMap<(Uuid, i64), Artist>,
    albums: HashMap<(Uuid, i64), f64>,
    /// By source (aggregate type, then id), then by track: a deleted playlist forgets its
    /// entries at once.
    contributions: HashMap<&'static str, HashMap<String, Entries>>,
}

type Entries = HashMap<i64, Contribution>;

struct Artist {
    name: String,
    seed_track_id: i64,
    score: f64,
}

struct Contribution {
    user: Uuid,
    artist_id: i64,
    album_id: Option<i64>,
    score: f64,
}

impl TasteInMemory {
    fn entries_of(&mut self, source: Source<'_>) -> &mut Entries {
        self.contributions
            .entry(source.aggregate_type)
            .or_default()
            .entry(source.id.to_owned())
            .or_default()
    }

    fn apply(&mut self, signal: Signal<'_>) {
        match signal {
            Signal::Gain {
                user,
                track,
                score,
                source,
            } => {
                let artist_id = db_id(track.artist_id);
                let album_id = track.album_id.map(db_id);
                let track_id = db_id(track.track_id);
                let artist = self
                    .artists
                    .entry((user, artist_id))
                    .and_modify(|a| a.score += score)
                    .or_insert_with(|| Artist {
                        name: String::new(),
                        seed_track_id: track_id,
                        score,
                    });
                // The artist's name and seed track are those of its latest signal.
                if artist.name != track.artist_name {
                    artist.name.clone_from(&track.artist_name);
                }
                artist.seed_track_id = track_id;
                if let Some(album) = album_id {
                    self.albums
                        .entry((user, album))
                        .and_modify(|s| *s += score)
                        .or_insert(score);
                }
                if let Some(source) = source {
                    self.entries_of(source)
                        .entry(track_id)
                        .and_modify(|c| c.score += score)
                        .or_insert(Contribution {
                            user,
                            artist_id,
                            album_id,
                            score,
                        });
                }
            }
            Signal::TakeBack { source, track_id } => {
                let Some(taken) = self
                    .contributions
                    .get_mut(source.aggregate_type)
                    .and_then(|sources| sources.get_mut(source.id))
                    .and_then(|entries| entries.remove(&track_id))
                else {
                    return;
                };
                let floor = taken.score * RESIDUE;
                let artist = (taken.user, taken.artist_id);
                if let Some(row) = self.artists.get_mut(&artist) {
                    row.score -= taken.score;
                    if row.score <= floor {
                        self.artists.remove(&artist);
                    }
                }
                if let Some(album) = taken.album_id.map(|a| (taken.user, a))
                    && let Some(score) = self.albums.get_mut(&album)
                {
                    *score -= taken.score;
                    if *score <= floor {
                        self.albums.remove(&album);
                    }
                }
            }
            Signal::Forget(source) => {
                if let Some(sources) = self.contributions.get_mut(source.aggregate_type) {
                    sources.remove(source.id);
                }
            }
        }
    }

    async fn write_artists(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let mut copy = CopyRows::start(
            conn,
            "taste_artists",
            "user_id, artist_id, artist_name, seed_track_id, score",
        )
        .await?;
        for ((user, artist), row) in in_key_order(&self.artists) {
            copy.uuid(*user)
                .int(*artist)
                .text(&row.name)
                .int(row.seed_track_id)
                .float(row.score);
            copy.end_row().await?;
        }
        copy.finish().await?;
        Ok(())
    }

    async fn write_albums(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let mut copy = CopyRows::start(conn, "taste_albums", "user_id, album_id, score").await?;
        for ((user, album), score) in in_key_order(&self.albums) {
            copy.uuid(*user).int(*album).float(*score);
            copy.end_row().await?;
        }
        copy.finish().await?;
        Ok(())
    }

    async fn write_contributions(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let mut rows: Vec<_> = self
            .contributions
            .iter()
            .flat_map(|(kind, sources)| sources.iter().map(move |(id, e)| (*kind, id, e)))
            .flat_map(|(kind, id, entries)| {
                entries
                    .iter()
                    .map(move |(track, c)| (kind, id.as_str(), *track, c))
            })
            .collect();
        rows.sort_unstable_by_key(|r| (r.0, r.1, r.2));
        let mut copy = CopyRows::start(
            conn,
            "taste_contributions",
            "source_type, source_id, track_id, user_id, artist_id, album_id, score",
        )
        .await?;
        for (kind, id, track, c) in rows {
            copy.text(kind)
                .text(id)
                .int(track)
                .uuid(c.user)
                .int(c.artist_id)
                .opt_int(c.album_id)
                .float(c.score);
            copy.end_row().await?;
        }
        copy.finish().await?;
        Ok(())
    }
}

/// The rows sorted by primary key: inserted in that order, each lands next to the one
/// before in the index instead of on a random page of it.
fn in_key_order<K: Ord, V>(rows: &HashMap<K, V>) -> Vec<(&K, &V)> {
    let mut rows: Vec<_> = rows.iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
    rows
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

    async fn write(self: Box<Self>, conn: &mut PgConnection) -> Result<(), ProjectionError> {
        self.write_artists(conn).await?;
        self.write_albums(conn).await?;
        self.write_contributions(conn).await?;
        Ok(())
    }
}
