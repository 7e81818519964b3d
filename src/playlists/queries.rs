//! Queries on the `playlists`, `playlist_tracks` and `favorites` read models. Each list
//! reads its total and its page, whatever the page size, from one snapshot, as do all
//! queries that belong together.

use chrono::{DateTime, Utc};
use projections::{
    Projection, Versioned, known_parameter, page_from_rows, playlists::PlaylistsProjection,
    present_rows,
};
use sqlx::{FromRow, PgExecutor, PgPool, Postgres, Transaction};
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

/// Public playlists and the viewer's own, or with `mine` only the viewer's; newest first,
/// with their total; versioned by where the playlists projection's checkpoint stands
/// (any playlist's change may change any list), and left out when that is `known`.
///
/// The queries read the viewer's own playlists and, of the public ones, no more than the
/// page needs, in index order: a request costs the same however many public playlists
/// there are. Their number is kept rather than counted, by the playlists projection. One
/// statement, so the version, the total and the page are of one snapshot.
pub async fn list_playlists(
    db: impl PgExecutor<'_>,
    viewer: Uuid,
    mine: bool,
    page: Page,
    known: Option<i64>,
) -> sqlx::Result<Versioned<(Vec<PlaylistRow>, i64)>> {
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
    // The comparisons with `known` refer only to the checkpoint's row, so PostgreSQL gates
    // the count and the page on them rather than filtering rows (`offset 0` keeps each
    // subquery from being merged into a join, where the comparison would be a filter).
    let rows = sqlx::query(&format!(
        "select k.position as list_version, c.total, p.*
           from (select position from projection_checkpoints where name = $5) k
           left join lateral (select ({count}) as total where k.position <> $4 offset 0) c on true
           left join lateral (select * from ({rows}) page where k.position <> $4 offset 0) p on true
          order by p.created_at desc, p.id desc"
    ))
    .bind(viewer)
    .bind(page.limit)
    .bind(page.offset)
    .bind(known_parameter(known))
    .bind(PlaylistsProjection.name())
    .fetch_all(db)
    .await?;
    page_from_rows(&rows, "list_version", "id")
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
/// columns on every track row (and on one row with no track when it has none). The tracks
/// are versioned by the playlist's version (every change moves it) and left out when that
/// is `known`: PostgreSQL then gates their scan, as in [`list_playlists`].
pub async fn playlist_with_tracks(
    db: impl PgExecutor<'_>,
    id: Uuid,
    known: Option<i64>,
) -> sqlx::Result<Option<(PlaylistRow, Versioned<Vec<TrackRow>>)>> {
    let rows = sqlx::query(&format!(
        "select p.*, t.*
           from (select {PLAYLIST_COLUMNS} from playlists where id = $1) p
           left join lateral (
                select entry_id, track_id, position, title, artist_id, artist_name,
                       album_title, album_cover, duration, added_at
                  from playlist_tracks
                 where playlist_id = p.id and p.version <> $2 offset 0) t on true
          order by t.position"
    ))
    .bind(id)
    .bind(known_parameter(known))
    .fetch_all(db)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let playlist = PlaylistRow::from_row(first)?;
    let version = playlist.version;
    Ok(Some((
        playlist,
        Versioned {
            version,
            rows: present_rows(&rows, "entry_id")?,
        },
    )))
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
