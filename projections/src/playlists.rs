//! The playlists read model: one row per live playlist in `playlists`, its tracks in
//! `playlist_tracks` at dense positions from 0. A deleted playlist loses its rows.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use domain::{
    CatalogId, TrackSnapshot,
    playlist::{EntryId, Playlist, PlaylistEvent},
};
use sqlx::PgConnection;

use crate::{Projection, ProjectionError, StoredEvent};

pub struct PlaylistsProjection;

fn db_id(id: CatalogId) -> i64 {
    // Deezer ids are far below i64::MAX.
    id.get() as i64
}

async fn insert_track(
    conn: &mut PgConnection,
    playlist: &str,
    entry_id: EntryId,
    track: &TrackSnapshot,
    position: usize,
    added_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into playlist_tracks (playlist_id, entry_id, position, track_id, title, artist_id,
                                      artist_name, album_id, album_title, album_cover, duration,
                                      added_at)
         values ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(playlist)
    .bind(entry_id.uuid())
    .bind(position as i32)
    .bind(db_id(track.track_id))
    .bind(&track.title)
    .bind(db_id(track.artist_id))
    .bind(&track.artist_name)
    .bind(track.album_id.map(db_id))
    .bind(&track.album_title)
    .bind(&track.album_cover)
    .bind(track.duration as i32)
    .bind(added_at)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Runs a statement whose `$1` is the playlist and whose following parameters are `numbers`.
async fn exec(
    conn: &mut PgConnection,
    sql: &str,
    playlist: &str,
    numbers: &[i64],
) -> Result<(), sqlx::Error> {
    numbers
        .iter()
        .fold(sqlx::query(sql).bind(playlist), |q, n| q.bind(*n))
        .execute(conn)
        .await
        .map(|_| ())
}

#[async_trait]
impl Projection for PlaylistsProjection {
    fn name(&self) -> &'static str {
        "playlists"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &[Playlist::TYPE]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["playlist_tracks", "playlists"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let decoded: PlaylistEvent = event
            .decode()
            .map_err(|e| ProjectionError::decode(event, e))?;
        let id = event.aggregate_id.as_str();
        match decoded {
            PlaylistEvent::PlaylistCreated {
                owner,
                name,
                description,
                is_public,
                ..
            } => {
                sqlx::query(
                    "insert into playlists (id, owner_id, name, description, is_public, version,
                                            created_at, updated_at)
                     values ($1::uuid, $2, $3, $4, $5, $6, $7, $7)",
                )
                .bind(id)
                .bind(owner.uuid())
                .bind(name)
                .bind(description)
                .bind(is_public)
                .bind(event.sequence)
                .bind(event.recorded_at)
                .execute(&mut *conn)
                .await?;
                return Ok(());
            }
            PlaylistEvent::PlaylistDeleted { .. } => {
                sqlx::query("delete from playlists where id = $1::uuid")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                return Ok(());
            }
            PlaylistEvent::DetailsUpdated {
                name,
                description,
                is_public,
                ..
            } => {
                sqlx::query(
                    "update playlists
                        set name = coalesce($2, name),
                            description = coalesce($3, description),
                            is_public = coalesce($4, is_public)
                      where id = $1::uuid",
                )
                .bind(id)
                .bind(name)
                .bind(description)
                .bind(is_public)
                .execute(&mut *conn)
                .await?;
            }
            PlaylistEvent::TrackAdded {
                entry_id,
                track,
                position,
                ..
            } => {
                exec(
                    conn,
                    "update playlist_tracks set position = position + 1
                      where playlist_id = $1::uuid and position >= $2",
                    id,
                    &[position as i64],
                )
                .await?;
                insert_track(conn, id, entry_id, &track, position, event.recorded_at).await?;
                exec(
                    conn,
                    "update playlists set track_count = track_count + 1 where id = $1::uuid",
                    id,
                    &[],
                )
                .await?;
            }
            PlaylistEvent::TrackRemoved {
                track_id, position, ..
            } => {
                exec(
                    conn,
                    "delete from playlist_tracks where playlist_id = $1::uuid and track_id = $2",
                    id,
                    &[db_id(track_id)],
                )
                .await?;
                exec(
                    conn,
                    "update playlist_tracks set position = position - 1
                      where playlist_id = $1::uuid and position > $2",
                    id,
                    &[position as i64],
                )
                .await?;
                exec(
                    conn,
                    "update playlists set track_count = track_count - 1 where id = $1::uuid",
                    id,
                    &[],
                )
                .await?;
            }
            PlaylistEvent::TrackMoved {
                track_id, from, to, ..
            } => {
                let (from, to) = (from as i64, to as i64);
                let shift = if from < to {
                    "update playlist_tracks set position = position - 1
                      where playlist_id = $1::uuid and position > $2 and position <= $3"
                } else {
                    "update playlist_tracks set position = position + 1
                      where playlist_id = $1::uuid and position >= $3 and position < $2"
                };
                exec(conn, shift, id, &[from, to]).await?;
                exec(
                    conn,
                    "update playlist_tracks set position = $3
                      where playlist_id = $1::uuid and track_id = $2",
                    id,
                    &[db_id(track_id), to],
                )
                .await?;
            }
            PlaylistEvent::CoverChanged { cover, .. } => {
                sqlx::query("update playlists set cover_key = $2 where id = $1::uuid")
                    .bind(id)
                    .bind(cover)
                    .execute(&mut *conn)
                    .await?;
            }
            PlaylistEvent::PlaylistRestored { .. } => {}
        }
        // Every other change moves the version (the ETag) and the update time.
        sqlx::query("update playlists set version = $2, updated_at = $3 where id = $1::uuid")
            .bind(id)
            .bind(event.sequence)
            .bind(event.recorded_at)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}
