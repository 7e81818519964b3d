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

use crate::{Projection, ProjectionError, StoredEvent};

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

pub struct TasteProjection;

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

fn db_id(id: domain::CatalogId) -> i64 {
    // Deezer ids are far below i64::MAX.
    id.get() as i64
}

/// Adds `score` to the track's artist and album for `user`, and remembers it under
/// `source` when the signal can be taken back.
async fn contribute(
    conn: &mut PgConnection,
    user: Uuid,
    track: &TrackSnapshot,
    score: f64,
    source: Option<Source<'_>>,
) -> Result<(), sqlx::Error> {
    let album = track.album_id.map(db_id);
    sqlx::query(
        "insert into taste_artists (user_id, artist_id, artist_name, seed_track_id, score)
         values ($1, $2, $3, $4, $5)
         on conflict (user_id, artist_id) do update
            set artist_name = excluded.artist_name,
                seed_track_id = excluded.seed_track_id,
                score = taste_artists.score + excluded.score",
    )
    .bind(user)
    .bind(db_id(track.artist_id))
    .bind(&track.artist_name)
    .bind(db_id(track.track_id))
    .bind(score)
    .execute(&mut *conn)
    .await?;
    if let Some(album) = album {
        sqlx::query(
            "insert into taste_albums (user_id, album_id, score) values ($1, $2, $3)
             on conflict (user_id, album_id) do update
                set score = taste_albums.score + excluded.score",
        )
        .bind(user)
        .bind(album)
        .bind(score)
        .execute(&mut *conn)
        .await?;
    }
    if let Some(source) = source {
        sqlx::query(
            "insert into taste_contributions (source_type, source_id, track_id, user_id,
                                              artist_id, album_id, score)
             values ($1, $2, $3, $4, $5, $6, $7)
             on conflict (source_type, source_id, track_id) do update
                set score = taste_contributions.score + excluded.score",
        )
        .bind(source.aggregate_type)
        .bind(source.id)
        .bind(db_id(track.track_id))
        .bind(user)
        .bind(db_id(track.artist_id))
        .bind(album)
        .bind(score)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
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

async fn played(conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    // Only plays tell something; other queue events are not even decoded.
    if event.event_type != "TrackPlayed" {
        return Ok(());
    }
    let decoded: QueueEvent = event
        .decode()
        .map_err(|e| ProjectionError::decode(event, e))?;
    if let QueueEvent::TrackPlayed { track, .. } = decoded {
        let score = boost(PLAY, event.recorded_at);
        contribute(conn, uuid_of(event)?, &track, score, None).await?;
    }
    Ok(())
}

async fn favorites(conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let decoded: LibraryEvent = event
        .decode()
        .map_err(|e| ProjectionError::decode(event, e))?;
    let source = Source {
        aggregate_type: Library::TYPE,
        id: &event.aggregate_id,
    };
    match decoded {
        LibraryEvent::FavoriteAdded { track, .. } => {
            // A library belongs to the user whose id it has.
            let score = boost(FAVORITE, event.recorded_at);
            contribute(conn, uuid_of(event)?, &track, score, Some(source)).await?;
        }
        LibraryEvent::FavoriteRemoved { track_id } => {
            take_back(conn, source, db_id(track_id)).await?;
        }
    }
    Ok(())
}

async fn playlists(conn: &mut PgConnection, event: &StoredEvent) -> Result<(), ProjectionError> {
    let decoded: PlaylistEvent = event
        .decode()
        .map_err(|e| ProjectionError::decode(event, e))?;
    let source = Source {
        aggregate_type: Playlist::TYPE,
        id: &event.aggregate_id,
    };
    match decoded {
        // The taste is of whoever chose the track.
        PlaylistEvent::TrackAdded { by, track, .. } => {
            let score = boost(PLAYLIST_ADDITION, event.recorded_at);
            contribute(conn, by.uuid(), &track, score, Some(source)).await?;
        }
        PlaylistEvent::TrackRemoved { track_id, .. } => {
            take_back(conn, source, db_id(track_id)).await?;
        }
        // Deleting a playlist is tidying up, not a change of taste: what its tracks gave
        // stays, only the bookkeeping for taking it back goes.
        PlaylistEvent::PlaylistDeleted { .. } => {
            sqlx::query(
                "delete from taste_contributions where source_type = $1 and source_id = $2",
            )
            .bind(source.aggregate_type)
            .bind(source.id)
            .execute(&mut *conn)
            .await?;
        }
        // Details, moves and covers say nothing about taste; a restore's compensating
        // TrackAdded and TrackRemoved events count like any others.
        _ => {}
    }
    Ok(())
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
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        match event.aggregate_type.as_str() {
            Queue::TYPE => played(conn, event).await,
            Library::TYPE => favorites(conn, event).await,
            Playlist::TYPE => playlists(conn, event).await,
            _ => Ok(()),
        }
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
