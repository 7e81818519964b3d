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
use crate::{ProjectionError, StoredEvent, engine::Fold, track_columns::db_id};

/// Rows per insert statement when writing the folded tables.
const CHUNK: usize = 10_000;

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
        let rows = in_key_order(&self.artists);
        for chunk in rows.chunks(CHUNK) {
            let users: Vec<Uuid> = chunk.iter().map(|((u, _), _)| *u).collect();
            let ids: Vec<i64> = chunk.iter().map(|((_, a), _)| *a).collect();
            let names: Vec<&str> = chunk.iter().map(|(_, a)| a.name.as_str()).collect();
            let seeds: Vec<i64> = chunk.iter().map(|(_, a)| a.seed_track_id).collect();
            let scores: Vec<f64> = chunk.iter().map(|(_, a)| a.score).collect();
            sqlx::query(
                "insert into taste_artists (user_id, artist_id, artist_name, seed_track_id, score)
                 select * from unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[],
                                      $5::float8[])",
            )
            .bind(&users)
            .bind(&ids)
            .bind(&names)
            .bind(&seeds)
            .bind(&scores)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }

    async fn write_albums(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let rows = in_key_order(&self.albums);
        for chunk in rows.chunks(CHUNK) {
            let users: Vec<Uuid> = chunk.iter().map(|((u, _), _)| *u).collect();
            let ids: Vec<i64> = chunk.iter().map(|((_, a), _)| *a).collect();
            let scores: Vec<f64> = chunk.iter().map(|(_, s)| **s).collect();
            sqlx::query(
                "insert into taste_albums (user_id, album_id, score)
                 select * from unnest($1::uuid[], $2::bigint[], $3::float8[])",
            )
            .bind(&users)
            .bind(&ids)
            .bind(&scores)
            .execute(&mut *conn)
            .await?;
        }
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
        for chunk in rows.chunks(CHUNK) {
            let kinds: Vec<&str> = chunk.iter().map(|r| r.0).collect();
            let ids: Vec<&str> = chunk.iter().map(|r| r.1).collect();
            let tracks: Vec<i64> = chunk.iter().map(|r| r.2).collect();
            let users: Vec<Uuid> = chunk.iter().map(|r| r.3.user).collect();
            let artists: Vec<i64> = chunk.iter().map(|r| r.3.artist_id).collect();
            let albums: Vec<Option<i64>> = chunk.iter().map(|r| r.3.album_id).collect();
            let scores: Vec<f64> = chunk.iter().map(|r| r.3.score).collect();
            sqlx::query(
                "insert into taste_contributions (source_type, source_id, track_id, user_id,
                                                  artist_id, album_id, score)
                 select * from unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[],
                                      $5::bigint[], $6::bigint[], $7::float8[])",
            )
            .bind(&kinds)
            .bind(&ids)
            .bind(&tracks)
            .bind(&users)
            .bind(&artists)
            .bind(&albums)
            .bind(&scores)
            .execute(&mut *conn)
            .await?;
        }
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
