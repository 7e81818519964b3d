//! Queries over the queue and history tables.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgPool, Row};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueView {
    pub current_position: Option<i32>,
    pub current_track_id: Option<i64>,
    pub track_count: i32,
    pub is_radio: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueueEntryView {
    pub entry_id: Uuid,
    pub position: i32,
    pub track_id: i64,
    pub title: String,
    pub artist_id: i64,
    pub artist_name: String,
    pub album_id: Option<i64>,
    pub album_title: String,
    pub album_cover: String,
    pub duration: i32,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryItem {
    pub play_id: Uuid,
    pub track_id: i64,
    pub title: String,
    pub artist_id: i64,
    pub artist_name: String,
    pub album_title: String,
    pub album_cover: String,
    pub duration: i32,
    pub played_at: DateTime<Utc>,
}

const ENTRY_COLUMNS: &str = "entry_id, position, track_id, title, artist_id, artist_name, album_id, album_title, album_cover, duration";

/// `None` for a user who never used the queue.
pub async fn queue(pool: &PgPool, user: Uuid) -> sqlx::Result<Option<QueueView>> {
    sqlx::query_as(
        "select q.current_position, e.track_id as current_track_id, q.track_count, q.is_radio, q.updated_at
           from queues q
           left join queue_entries e on e.user_id = q.user_id and e.position = q.current_position
          where q.user_id = $1",
    )
    .bind(user)
    .fetch_optional(pool)
    .await
}

pub async fn queue_entries(pool: &PgPool, user: Uuid) -> sqlx::Result<Vec<QueueEntryView>> {
    sqlx::query_as(&format!(
        "select {ENTRY_COLUMNS} from queue_entries where user_id = $1 order by position"
    ))
    .bind(user)
    .fetch_all(pool)
    .await
}

pub async fn queue_entry_at(
    pool: &PgPool,
    user: Uuid,
    position: i32,
) -> sqlx::Result<Option<QueueEntryView>> {
    sqlx::query_as(&format!(
        "select {ENTRY_COLUMNS} from queue_entries where user_id = $1 and position = $2"
    ))
    .bind(user)
    .bind(position)
    .fetch_optional(pool)
    .await
}

/// A page of the user's plays, newest first, and the total count, in one statement (so
/// one snapshot): the count's row always comes back, with the page's plays joined to it.
pub async fn history(
    pool: &PgPool,
    user: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<HistoryItem>, i64)> {
    let rows = sqlx::query(
        "select h.*, c.total
           from (select count(*) as total from playback_history where user_id = $1) c
           left join lateral (
                select play_id, track_id, title, artist_id, artist_name, album_title,
                       album_cover, duration, played_at, event_position
                  from playback_history where user_id = $1
                 order by event_position desc limit $2 offset $3) h on true
          order by h.event_position desc",
    )
    .bind(user)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total = match rows.first() {
        Some(row) => row.try_get("total")?,
        None => 0,
    };
    let mut items = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.try_get::<Option<Uuid>, _>("play_id")?.is_some() {
            items.push(HistoryItem::from_row(row)?);
        }
    }
    Ok((items, total))
}

/// Track ids the user played since `since`.
pub async fn recently_played(
    pool: &PgPool,
    user: Uuid,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "select distinct track_id from playback_history where user_id = $1 and played_at >= $2",
    )
    .bind(user)
    .bind(since)
    .fetch_all(pool)
    .await
}

pub async fn entry_position(
    pool: &PgPool,
    user: Uuid,
    entry_id: Uuid,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar("select position from queue_entries where user_id = $1 and entry_id = $2")
        .bind(user)
        .bind(entry_id)
        .fetch_optional(pool)
        .await
}
