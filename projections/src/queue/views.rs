//! Queries over the queue and history tables.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool, Row};
use uuid::Uuid;

use crate::{Versioned, known_parameter, page_from_rows, present_rows};

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

/// The queue's entries in order, versioned by the position of the queue's last event (0
/// for a user who never used the queue); the entries are left out when that is `known`.
pub async fn queue_entries_versioned(
    db: impl PgExecutor<'_>,
    user: Uuid,
    known: Option<i64>,
) -> sqlx::Result<Versioned<Vec<QueueEntryView>>> {
    // The lateral subquery's comparison with `known` refers only to the outer row, so
    // PostgreSQL gates the scan on it rather than filtering every entry (`offset 0` keeps
    // the subquery from being merged into a join, where it would be a filter).
    let rows = sqlx::query(&format!(
        "select coalesce(q.last_event, 0) as last_event, e.*
           from (values (1)) one
           left join queues q on q.user_id = $1
           left join lateral (
                select {ENTRY_COLUMNS} from queue_entries
                 where user_id = $1 and coalesce(q.last_event, 0) <> $2 offset 0) e on true
          order by e.position"
    ))
    .bind(user)
    .bind(known_parameter(known))
    .fetch_all(db)
    .await?;
    let version = match rows.first() {
        Some(row) => row.try_get("last_event")?,
        None => 0,
    };
    Ok(Versioned {
        version,
        rows: present_rows(&rows, "entry_id")?,
    })
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
/// one snapshot), versioned by the position of the user's latest play (0 before any): the
/// history only grows, so that position moves whenever the page or the total may. When it
/// is `known`, the page and the total are left out.
pub async fn history(
    db: impl PgExecutor<'_>,
    user: Uuid,
    limit: i64,
    offset: i64,
    known: Option<i64>,
) -> sqlx::Result<Versioned<(Vec<HistoryItem>, i64)>> {
    let rows = sqlx::query(
        "select l.latest, c.total, h.*
           from (select coalesce(max(event_position), 0) as latest
                   from playback_history where user_id = $1) l
           left join lateral (
                select count(*) as total from playback_history
                 where user_id = $1 and l.latest <> $4) c on true
           left join lateral (
                select play_id, track_id, title, artist_id, artist_name, album_title,
                       album_cover, duration, played_at, event_position
                  from playback_history where user_id = $1 and l.latest <> $4
                 order by event_position desc limit $2 offset $3) h on true
          order by h.event_position desc",
    )
    .bind(user)
    .bind(limit)
    .bind(offset)
    .bind(known_parameter(known))
    .fetch_all(db)
    .await?;
    page_from_rows(&rows, "latest", "play_id")
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
