//! The taste read model: per user, artists and albums scored by what the user does with
//! their tracks. A play adds a little, a playlist addition more, a favorite most; removing
//! a favorite or a playlist entry takes back exactly what adding it gave.
//!
//! Recent events count more than old ones, without a clock: each event adds
//! `weight * 2^((recorded_at - EPOCH) / HALF_LIFE)`. Decaying all scores to any moment
//! divides them by one common factor, so ranking by the stored score is ranking by the
//! decayed score, and a rebuild folds the same events into the same rows.
//! (An f64 holds this scale until about 2110; precision drops an event once a newer one
//! outweighs it by 2^53, some four years later, by which time it has decayed to nothing.)

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::{
    TrackSnapshot,
    library::{Library, LibraryEvent},
    playlist::{Playlist, PlaylistEvent},
    queue::{Queue, QueueEvent},
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{Projection, ProjectionError, StoredEvent, engine::Fold, track_columns::db_id};

mod in_memory;
use in_memory::TasteInMemory;

/// What one event says about a taste: keeping a track says more than playing it once.
const PLAY: f64 = 1.0;
const PLAYLIST_ADDITION: f64 = 2.0;
const FAVORITE: f64 = 3.0;

/// 2026-01-01T00:00:00Z, in milliseconds since the Unix epoch.
const EPOCH_MILLIS: i64 = 1_767_225_600_000;
/// A signal counts half as much after 30 days.
const HALF_LIFE_MILLIS: f64 = 30.0 * 24.0 * 3600.0 * 1000.0;
/// When taking a contribution back leaves a score below this share of it, what is left is
/// floating-point residue (or signals older than 30 half-lives): the row goes.
const RESIDUE: f64 = 1e-9;

/// `weight` of an event recorded at `at`, in the fixed-epoch scale.
pub fn boost(weight: f64, at: DateTime<Utc>) -> f64 {
    let half_lives = (at.timestamp_millis() - EPOCH_MILLIS) as f64 / HALF_LIFE_MILLIS;
    weight * half_lives.exp2()
}

pub struct TasteProjection {
    /// Rows a full rebuild may hold in memory (see `in_memory`).
    fold_budget: usize,
}

/// About 80 bytes a row with the maps' overhead, so some 650 MB at most: the benchmark's
/// 10,000 users make 6.6 million rows, and its rebuild process peaked at 545 MB.
const FOLD_BUDGET: usize = 8_000_000;

impl Default for TasteProjection {
    fn default() -> Self {
        Self::folding_at_most(FOLD_BUDGET)
    }
}

impl TasteProjection {
    /// A taste projection whose full rebuild folds at most `rows` rows in memory.
    pub fn folding_at_most(rows: usize) -> Self {
        Self { fold_budget: rows }
    }
}

/// The aggregate holding a favorite or playlist entry, whose removal takes it back.
#[derive(Clone, Copy)]
struct Source<'a> {
    aggregate_type: &'static str,
    id: &'a str,
}

fn uuid_of(event: &StoredEvent) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(&event.aggregate_id).map_err(|e| ProjectionError::Invalid {
        position: event.position,
        reason: format!("{} id is not a UUID: {e}", event.aggregate_type),
    })
}

/// One signal: `score` for the track's artist and album in `user`'s taste, remembered under
/// `source` when it can be taken back.
struct Gain {
    user: Uuid,
    artist_id: i64,
    artist_name: String,
    track_id: i64,
    album_id: Option<i64>,
    score: f64,
    source: Option<(&'static str, String)>,
}

/// Signals gathered until an event that takes one back, written in one to eight statements.
///
/// Scores are added one signal at a time in event order, from the stored value, exactly as
/// one `score = score + $x` per event would: floating-point addition depends on its order,
/// and a verification rebuild, cut into other batches, must come to the same bits.
#[derive(Default)]
struct Gains(Vec<Gain>);

impl Gains {
    fn push(&mut self, user: Uuid, track: &TrackSnapshot, score: f64, source: Option<Source<'_>>) {
        self.0.push(Gain {
            user,
            artist_id: db_id(track.artist_id),
            artist_name: track.artist_name.clone(),
            track_id: db_id(track.track_id),
            album_id: track.album_id.map(db_id),
            score,
            source: source.map(|s| (s.aggregate_type, s.id.to_owned())),
        });
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.0.is_empty() {
            return Ok(());
        }
        self.artists(conn).await?;
        self.albums(conn).await?;
        self.contributions(conn).await?;
        self.0.clear();
        Ok(())
    }

    async fn artists(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let gains = || self.0.iter().map(|g| ((g.user, g.artist_id), g.score));
        // The artist's name and seed track are those of its latest signal.
        let latest: HashMap<ScoreKey, &Gain> =
            self.0.iter().map(|g| ((g.user, g.artist_id), g)).collect();
        let (one, several) = by_gain_count(gains());
        let write = async |conn: &mut PgConnection,
                           keys: &[ScoreKey],
                           scores: Vec<f64>,
                           score: &str| {
            let (users, artists): (Vec<Uuid>, Vec<i64>) = keys.iter().copied().unzip();
            let names: Vec<&str> = keys
                .iter()
                .map(|k| latest[k].artist_name.as_str())
                .collect();
            let seeds: Vec<i64> = keys.iter().map(|k| latest[k].track_id).collect();
            sqlx::query(&format!(
                "insert into taste_artists as t (user_id, artist_id, artist_name, seed_track_id, score)
                 select * from unnest($1::uuid[], $2::bigint[], $3::text[], $4::bigint[], $5::float8[])
                 on conflict (user_id, artist_id) do update
                    set artist_name = excluded.artist_name,
                        seed_track_id = excluded.seed_track_id,
                        score = {score}"
            ))
            .bind(&users)
            .bind(&artists)
            .bind(&names)
            .bind(&seeds)
            .bind(&scores)
            .execute(conn)
            .await
            .map(|_| ())
        };
        if !one.is_empty() {
            let (keys, scores): (Vec<ScoreKey>, Vec<f64>) = one.into_iter().unzip();
            write(&mut *conn, &keys, scores, ADD_THE_ONE_GAIN).await?;
        }
        if !several.is_empty() {
            let scores =
                added_to_stored(conn, "taste_artists", "artist_id", &several, gains()).await?;
            write(&mut *conn, &several, scores, "excluded.score").await?;
        }
        Ok(())
    }

    async fn albums(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let gains = || {
            self.0
                .iter()
                .filter_map(|g| g.album_id.map(|album| ((g.user, album), g.score)))
        };
        let (one, several) = by_gain_count(gains());
        let write =
            async |conn: &mut PgConnection, keys: &[ScoreKey], scores: Vec<f64>, score: &str| {
                let (users, albums): (Vec<Uuid>, Vec<i64>) = keys.iter().copied().unzip();
                sqlx::query(&format!(
                    "insert into taste_albums as t (user_id, album_id, score)
                     select * from unnest($1::uuid[], $2::bigint[], $3::float8[])
                     on conflict (user_id, album_id) do update set score = {score}"
                ))
                .bind(&users)
                .bind(&albums)
                .bind(&scores)
                .execute(conn)
                .await
                .map(|_| ())
            };
        if !one.is_empty() {
            let (keys, scores): (Vec<ScoreKey>, Vec<f64>) = one.into_iter().unzip();
            write(&mut *conn, &keys, scores, ADD_THE_ONE_GAIN).await?;
        }
        if !several.is_empty() {
            let scores =
                added_to_stored(conn, "taste_albums", "album_id", &several, gains()).await?;
            write(&mut *conn, &several, scores, "excluded.score").await?;
        }
        Ok(())
    }

    async fn contributions(&self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        let sourced = || {
            self.0.iter().filter_map(|g| {
                g.source
                    .as_ref()
                    .map(|(kind, id)| ((*kind, id.as_str(), g.track_id), g))
            })
        };
        let keys = distinct(sourced().map(|(k, _)| k));
        if keys.is_empty() {
            return Ok(());
        }
        let kinds: Vec<&str> = keys.iter().map(|k| k.0).collect();
        let ids: Vec<&str> = keys.iter().map(|k| k.1).collect();
        let tracks: Vec<i64> = keys.iter().map(|k| k.2).collect();
        let stored: Vec<Option<f64>> = sqlx::query_scalar(
            "select (select t.score from taste_contributions t
                      where t.source_type = k.source_type and t.source_id = k.source_id
                        and t.track_id = k.track_id)
               from unnest($1::text[], $2::text[], $3::bigint[])
                    with ordinality as k(source_type, source_id, track_id, i)
              order by k.i",
        )
        .bind(&kinds)
        .bind(&ids)
        .bind(&tracks)
        .fetch_all(&mut *conn)
        .await?;
        let scores = add_in_order(
            with_stored(&keys, stored),
            sourced().map(|(k, g)| (k, g.score)),
        );
        // A contribution keeps the user, artist and album of the signal that created it.
        let mut first: HashMap<(&str, &str, i64), &Gain> = HashMap::new();
        for (key, gain) in sourced() {
            first.entry(key).or_insert(gain);
        }
        let users: Vec<Uuid> = keys.iter().map(|k| first[k].user).collect();
        let artists: Vec<i64> = keys.iter().map(|k| first[k].artist_id).collect();
        let albums: Vec<Option<i64>> = keys.iter().map(|k| first[k].album_id).collect();
        let totals: Vec<f64> = keys.iter().map(|k| scores[k]).collect();
        sqlx::query(
            "insert into taste_contributions (source_type, source_id, track_id, user_id,
                                              artist_id, album_id, score)
             select * from unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[], $5::bigint[],
                                  $6::bigint[], $7::float8[])
             on conflict (source_type, source_id, track_id) do update set score = excluded.score",
        )
        .bind(&kinds)
        .bind(&ids)
        .bind(&tracks)
        .bind(&users)
        .bind(&artists)
        .bind(&albums)
        .bind(&totals)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// A user and an artist or an album.
type ScoreKey = (Uuid, i64);

/// How an upsert adds a key's only gain of the batch (`excluded.score`) to its stored score
/// (in `t`, the table): one addition, as `add_in_order` would make it, so the same bits.
const ADD_THE_ONE_GAIN: &str = "t.score + excluded.score";

/// The keys of `gains` in the order they first appear: those with one gain, with it, whose
/// upsert adds it to the stored score itself, and those with several, whose stored scores
/// are read first and added to in order here. Live, a batch holds one play per listener, so
/// the read is usually skipped: two statements of a taste round instead of four.
fn by_gain_count(
    gains: impl Iterator<Item = (ScoreKey, f64)>,
) -> (Vec<(ScoreKey, f64)>, Vec<ScoreKey>) {
    let mut seen: HashMap<ScoreKey, (f64, usize)> = HashMap::new();
    let keys = distinct(gains.map(|(k, gain)| {
        seen.entry(k).or_insert((gain, 0)).1 += 1;
        k
    }));
    let mut one = Vec::new();
    let mut several = Vec::new();
    for k in keys {
        match seen[&k] {
            (gain, 1) => one.push((k, gain)),
            _ => several.push(k),
        }
    }
    (one, several)
}

/// Each key's stored score in `table` (if any) with its `gains` added one at a time in
/// order, in the order of `keys`.
async fn added_to_stored(
    conn: &mut PgConnection,
    table: &str,
    column: &str,
    keys: &[ScoreKey],
    gains: impl Iterator<Item = (ScoreKey, f64)>,
) -> Result<Vec<f64>, sqlx::Error> {
    let (users, ids): (Vec<Uuid>, Vec<i64>) = keys.iter().copied().unzip();
    let stored = stored_scores(conn, table, column, &users, &ids).await?;
    let wanted: HashSet<&ScoreKey> = keys.iter().collect();
    let scores = add_in_order(
        with_stored(keys, stored),
        gains.filter(|(k, _)| wanted.contains(k)),
    );
    Ok(keys.iter().map(|k| scores[k]).collect())
}

/// The stored score of each (user, `column`) key of `table`, in the order given. A subquery
/// per key is a primary-key lookup that cannot be turned into a join scanning the whole
/// table, which the planner chose for the tables a rebuild is filling (no statistics yet).
async fn stored_scores(
    conn: &mut PgConnection,
    table: &str,
    column: &str,
    users: &[Uuid],
    ids: &[i64],
) -> Result<Vec<Option<f64>>, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select (select t.score from {table} t where t.user_id = k.user_id and t.{column} = k.id)
           from unnest($1::uuid[], $2::bigint[]) with ordinality as k(user_id, id, i)
          order by k.i"
    ))
    .bind(users)
    .bind(ids)
    .fetch_all(conn)
    .await
}

/// The keys that have a stored score, with it.
fn with_stored<K: Copy>(keys: &[K], stored: Vec<Option<f64>>) -> impl Iterator<Item = (K, f64)> {
    keys.iter()
        .zip(stored)
        .filter_map(|(k, score)| score.map(|s| (*k, s)))
}

/// The keys in the order they first appear.
fn distinct<K: Hash + Eq + Copy>(keys: impl Iterator<Item = K>) -> Vec<K> {
    let mut seen = HashSet::new();
    keys.filter(|k| seen.insert(*k)).collect()
}

/// Each key's stored score (if any) plus its gains, added one at a time in order.
fn add_in_order<K: Hash + Eq>(
    stored: impl IntoIterator<Item = (K, f64)>,
    gains: impl Iterator<Item = (K, f64)>,
) -> HashMap<K, f64> {
    let mut scores: HashMap<K, f64> = stored.into_iter().collect();
    for (key, gain) in gains {
        scores.entry(key).and_modify(|s| *s += gain).or_insert(gain);
    }
    scores
}

#[derive(sqlx::FromRow)]
struct Contribution {
    user_id: Uuid,
    artist_id: i64,
    album_id: Option<i64>,
    score: f64,
}

/// Subtracts what the entry of `track_id` in `source` contributed.
async fn take_back(
    conn: &mut PgConnection,
    source: Source<'_>,
    track_id: i64,
) -> Result<(), sqlx::Error> {
    let taken: Option<Contribution> = sqlx::query_as(
        "delete from taste_contributions
          where source_type = $1 and source_id = $2 and track_id = $3
         returning user_id, artist_id, album_id, score",
    )
    .bind(source.aggregate_type)
    .bind(source.id)
    .bind(track_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(taken) = taken else {
        return Ok(());
    };
    subtract(conn, "taste_artists", "artist_id", &taken, taken.artist_id).await?;
    if let Some(album) = taken.album_id {
        subtract(conn, "taste_albums", "album_id", &taken, album).await?;
    }
    Ok(())
}

/// Takes `taken.score` from the row of `table` whose `key` is `id`, dropping the row when
/// only residue is left.
async fn subtract(
    conn: &mut PgConnection,
    table: &str,
    key: &str,
    taken: &Contribution,
    id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "update {table} set score = score - $3 where user_id = $1 and {key} = $2"
    ))
    .bind(taken.user_id)
    .bind(id)
    .bind(taken.score)
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "delete from {table} where user_id = $1 and {key} = $2 and score <= $3"
    ))
    .bind(taken.user_id)
    .bind(id)
    .bind(taken.score * RESIDUE)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What one event does to a taste.
enum Signal<'a> {
    Gain {
        user: Uuid,
        track: TrackSnapshot,
        score: f64,
        source: Option<Source<'a>>,
    },
    /// The entry of `track_id` in `source` is gone: what it gave is taken back.
    TakeBack { source: Source<'a>, track_id: i64 },
    /// Deleting a playlist is tidying up, not a change of taste: what its tracks gave
    /// stays, only the bookkeeping for taking it back goes.
    Forget(Source<'a>),
}

fn signal(event: &StoredEvent) -> Result<Option<Signal<'_>>, ProjectionError> {
    let source = |aggregate_type| Source {
        aggregate_type,
        id: &event.aggregate_id,
    };
    let signal = match event.aggregate_type.as_str() {
        // Only plays tell something; other queue events are not even decoded.
        Queue::TYPE if event.event_type == "TrackPlayed" => match event.decoded()? {
            QueueEvent::TrackPlayed { track, .. } => Some(Signal::Gain {
                user: uuid_of(event)?,
                track,
                score: boost(PLAY, event.recorded_at),
                source: None,
            }),
            _ => None,
        },
        Library::TYPE => match event.decoded()? {
            // A library belongs to the user whose id it has.
            LibraryEvent::FavoriteAdded { track, .. } => Some(Signal::Gain {
                user: uuid_of(event)?,
                track,
                score: boost(FAVORITE, event.recorded_at),
                source: Some(source(Library::TYPE)),
            }),
            LibraryEvent::FavoriteRemoved { track_id } => Some(Signal::TakeBack {
                source: source(Library::TYPE),
                track_id: db_id(track_id),
            }),
        },
        Playlist::TYPE => match event.decoded()? {
            // The taste is of whoever chose the track.
            PlaylistEvent::TrackAdded { by, track, .. } => Some(Signal::Gain {
                user: by.uuid(),
                track,
                score: boost(PLAYLIST_ADDITION, event.recorded_at),
                source: Some(source(Playlist::TYPE)),
            }),
            PlaylistEvent::TrackRemoved { track_id, .. } => Some(Signal::TakeBack {
                source: source(Playlist::TYPE),
                track_id: db_id(track_id),
            }),
            PlaylistEvent::PlaylistDeleted { .. } => Some(Signal::Forget(source(Playlist::TYPE))),
            // Details, moves and covers say nothing about taste; a restore's compensating
            // TrackAdded and TrackRemoved events count like any others.
            _ => None,
        },
        _ => None,
    };
    Ok(signal)
}

#[async_trait]
impl Projection for TasteProjection {
    fn name(&self) -> &'static str {
        "taste"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &[Queue::TYPE, Library::TYPE, Playlist::TYPE]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["taste_artists", "taste_albums", "taste_contributions"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut gains = Gains::default();
        for event in events {
            match signal(event)? {
                Some(Signal::Gain {
                    user,
                    track,
                    score,
                    source,
                }) => gains.push(user, &track, score, source),
                Some(Signal::TakeBack { source, track_id }) => {
                    gains.flush(conn).await?;
                    take_back(conn, source, track_id).await?;
                }
                Some(Signal::Forget(source)) => {
                    gains.flush(conn).await?;
                    sqlx::query(
                        "delete from taste_contributions where source_type = $1 and source_id = $2",
                    )
                    .bind(source.aggregate_type)
                    .bind(source.id)
                    .execute(&mut *conn)
                    .await?;
                }
                None => {}
            }
        }
        gains.flush(conn).await?;
        Ok(())
    }

    fn fold(&self) -> Option<Box<dyn Fold>> {
        Some(Box::new(TasteInMemory::new(self.fold_budget)))
    }
}

/// An artist in a user's taste; `score` only compares with the same user's other scores.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ArtistTaste {
    pub artist_id: i64,
    pub artist_name: String,
    pub seed_track_id: i64,
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AlbumTaste {
    pub album_id: i64,
    pub score: f64,
}

/// The user's `limit` favourite artists, strongest first (empty for a new user).
pub async fn top_artists(pool: &PgPool, user: Uuid, limit: i64) -> sqlx::Result<Vec<ArtistTaste>> {
    sqlx::query_as(
        "select artist_id, artist_name, seed_track_id, score from taste_artists
          where user_id = $1 and score > 0
          order by score desc, artist_id limit $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// The user's `limit` favourite albums, strongest first.
pub async fn top_albums(pool: &PgPool, user: Uuid, limit: i64) -> sqlx::Result<Vec<AlbumTaste>> {
    sqlx::query_as(
        "select album_id, score from taste_albums
          where user_id = $1 and score > 0
          order by score desc, album_id limit $2",
    )
    .bind(user)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    #[test]
    fn a_signal_weighs_its_weight_at_the_epoch_and_doubles_every_half_life() {
        assert_eq!(boost(PLAY, at(2026, 1, 1)), 1.0);
        assert_eq!(boost(FAVORITE, at(2026, 1, 31)), 6.0);
        assert_eq!(boost(PLAY, at(2025, 12, 2)), 0.5);
    }

    #[test]
    fn newer_signals_outweigh_older_ones_of_the_same_kind() {
        let old_favorite = boost(FAVORITE, at(2026, 1, 1));
        let recent_plays = 2.0 * boost(PLAY, at(2026, 3, 2));
        assert!(recent_plays > old_favorite);
        assert!(boost(PLAY, at(2100, 1, 1)).is_finite());
    }
}
