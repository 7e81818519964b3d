//! Queries on the `playlists`, `playlist_tracks` and `favorites` read models. Each list is
//! one count and one page query, whatever the page size; queries that belong together
//! read one snapshot.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool, Postgres, Row, Transaction};
use uuid::Uuid;

use super::Page;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlaylistRow {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub name: String,
    pub description: String,
    pub is_public: bool,
    pub cover_key: Option<String>,
    pub track_count: i32,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PlaylistRow {
    /// Another user's private playlist does not exist for the viewer.
    pub fn visible_to(&self, viewer: Uuid) -> bool {
        self.is_public || self.owner_id == viewer
    }
}

/// A track in a playlist, with the metadata copied when it was added.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TrackRow {
    pub entry_id: Uuid,
    pub track_id: i64,
    pub position: i32,
    pub title: String,
    pub artist_id: i64,
    pub artist_name: String,
    pub album_title: String,
    pub album_cover: String,
    pub duration: i32,
    pub added_at: DateTime<Utc>,
}

/// A favorite track, with the metadata copied when it was added.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FavoriteRow {
    pub entry_id: Uuid,
    pub track_id: i64,
    pub title: String,
    pub artist_id: i64,
    pub artist_name: String,
    pub album_title: String,
    pub album_cover: String,
    pub added_at: DateTime<Utc>,
}

/// A read-only transaction whose statements all see one snapshot, so a count and its page,
/// or a playlist and its tracks, agree even while projectors write.
async fn snapshot(pool: &PgPool) -> sqlx::Result<Transaction<'static, Postgres>> {
    pool.begin_with("begin isolation level repeatable read, read only")
        .await
}

const PLAYLIST_COLUMNS: &str = "id, owner_id, name, description, is_public, cover_key, \
     track_count, version, created_at, updated_at";

/// Public playlists and the viewer's own, or with `mine` only the viewer's; newest first.
///
/// The queries read the viewer's own playlists and, of the public ones, no more than the
/// page needs, in index order: a request costs the same however many public playlists
/// there are. Their number is kept rather than counted, by the playlists projection.
pub async fn list_playlists(
    pool: &PgPool,
    viewer: Uuid,
    mine: bool,
    page: Page,
) -> sqlx::Result<(Vec<PlaylistRow>, i64)> {
    let (count, rows) = if mine {
        (
            "select count(*) from playlists where owner_id = $1",
            format!(
                "select {PLAYLIST_COLUMNS} from playlists where owner_id = $1
                  order by created_at desc, id desc limit $2 offset $3"
            ),
        )
    } else {
        // The public playlists and the viewer's private ones do not overlap and each are
        // in list order in an index: the page lies within the first offset + limit of each.
        (
            "select coalesce((select public from playlist_counts), 0)
                  + (select count(*) from playlists where owner_id = $1 and not is_public)",
            format!(
                "select * from (
                   (select {PLAYLIST_COLUMNS} from playlists where is_public
                     order by created_at desc, id desc limit $2 + $3)
                   union all
                   (select {PLAYLIST_COLUMNS} from playlists where owner_id = $1 and not is_public
                     order by created_at desc, id desc limit $2 + $3)
                 ) visible
                 order by created_at desc, id desc limit $2 offset $3"
            ),
        )
    };
    let mut tx = snapshot(pool).await?;
    let total: i64 = sqlx::query_scalar(count)
        .bind(viewer)
        .fetch_one(&mut *tx)
        .await?;
    let rows = sqlx::query_as(&rows)
        .bind(viewer)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok((rows, total))
}

pub async fn playlist(pool: &PgPool, id: Uuid) -> sqlx::Result<Option<PlaylistRow>> {
    sqlx::query_as(&format!(
        "select {PLAYLIST_COLUMNS} from playlists where id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The playlist and its tracks in order, as of one moment: one statement, the playlist's
/// columns on every track row (and on one row with no track when it has none).
pub async fn playlist_with_tracks(
    pool: &PgPool,
    id: Uuid,
) -> sqlx::Result<Option<(PlaylistRow, Vec<TrackRow>)>> {
    let rows = sqlx::query(&format!(
        "select p.*, t.entry_id, t.track_id, t.position, t.title, t.artist_id, t.artist_name,
                t.album_title, t.album_cover, t.duration, t.added_at
           from (select {PLAYLIST_COLUMNS} from playlists where id = $1) p
           left join playlist_tracks t on t.playlist_id = p.id
          order by t.position"
    ))
    .bind(id)
    .fetch_all(pool)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let playlist = PlaylistRow::from_row(first)?;
    let mut tracks = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<Option<Uuid>, _>("entry_id")?.is_some() {
            tracks.push(TrackRow::from_row(row)?);
        }
    }
    Ok(Some((playlist, tracks)))
}

/// The user's favorites, newest first.
pub async fn favorites(
    pool: &PgPool,
    user: Uuid,
    page: Page,
) -> sqlx::Result<(Vec<FavoriteRow>, i64)> {
    let mut tx = snapshot(pool).await?;
    let total: i64 = sqlx::query_scalar("select count(*) from favorites where user_id = $1")
        .bind(user)
        .fetch_one(&mut *tx)
        .await?;
    let rows = sqlx::query_as(
        "select entry_id, track_id, title, artist_id, artist_name, album_title, album_cover,
                added_at
           from favorites where user_id = $1
          order by event_position desc limit $2 offset $3",
    )
    .bind(user)
    .bind(page.limit)
    .bind(page.offset)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((rows, total))
}

/// How many of these entries the playlist holds.
pub async fn entries_present(pool: &PgPool, playlist: Uuid, entries: &[Uuid]) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from playlist_tracks where playlist_id = $1 and entry_id = any($2)",
    )
    .bind(playlist)
    .bind(entries)
    .fetch_one(pool)
    .await
}
