//! The play queue read model: one row per user in `queues`, its entries in `queue_entries`.

use async_trait::async_trait;
use domain::queue::{Queue, QueueEntry, QueueEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{Projection, ProjectionError, StoredEvent};

pub struct QueueProjection;

fn user_of(event: &StoredEvent) -> Result<Uuid, ProjectionError> {
    Uuid::parse_str(&event.aggregate_id).map_err(|e| ProjectionError::Invalid {
        position: event.position,
        reason: format!("queue id is not a UUID: {e}"),
    })
}

/// Inserts entries at consecutive positions from `first`, in one statement.
async fn insert_entries(
    conn: &mut PgConnection,
    user: Uuid,
    first: usize,
    entries: &[QueueEntry],
) -> Result<(), sqlx::Error> {
    if entries.is_empty() {
        return Ok(());
    }
    let column = |f: &dyn Fn(&QueueEntry) -> String| entries.iter().map(f).collect::<Vec<_>>();
    let positions: Vec<i32> = (first..first + entries.len()).map(|p| p as i32).collect();
    sqlx::query(
        "insert into queue_entries (user_id, entry_id, position, track_id, title, artist_id, artist_name,
                                    album_id, album_title, album_cover, duration)
         select $1, * from unnest($2::uuid[], $3::int[], $4::bigint[], $5::text[], $6::bigint[], $7::text[],
                                  $8::bigint[], $9::text[], $10::text[], $11::int[])",
    )
    .bind(user)
    .bind(entries.iter().map(|e| e.entry_id).collect::<Vec<_>>())
    .bind(positions)
    .bind(entries.iter().map(|e| e.track.track_id.get() as i64).collect::<Vec<_>>())
    .bind(column(&|e| e.track.title.clone()))
    .bind(entries.iter().map(|e| e.track.artist_id.get() as i64).collect::<Vec<_>>())
    .bind(column(&|e| e.track.artist_name.clone()))
    .bind(entries.iter().map(|e| e.track.album_id.map(|a| a.get() as i64)).collect::<Vec<_>>())
    .bind(column(&|e| e.track.album_title.clone()))
    .bind(column(&|e| e.track.album_cover.clone()))
    .bind(entries.iter().map(|e| e.track.duration as i32).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// Runs a statement whose `$1` is the user.
async fn for_user(conn: &mut PgConnection, sql: &str, user: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(sql).bind(user).execute(conn).await.map(|_| ())
}

/// Runs a statement whose `$1` is the user and `$2` a number.
async fn for_user_n(
    conn: &mut PgConnection,
    sql: &str,
    user: Uuid,
    n: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(sql)
        .bind(user)
        .bind(n)
        .execute(conn)
        .await
        .map(|_| ())
}

#[async_trait]
impl Projection for QueueProjection {
    fn name(&self) -> &'static str {
        "queue"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &[<Queue as cqrs_es::Aggregate>::TYPE]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["queue_entries", "queues"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let user = user_of(event)?;
        let decoded: QueueEvent = event
            .decode()
            .map_err(|e| ProjectionError::decode(event, e))?;
        sqlx::query(
            "insert into queues (user_id, updated_at) values ($1, $2)
             on conflict (user_id) do update set updated_at = excluded.updated_at",
        )
        .bind(user)
        .bind(event.recorded_at)
        .execute(&mut *conn)
        .await?;
        match decoded {
            QueueEvent::QueueReplaced { entries, source } => {
                for_user(conn, "delete from queue_entries where user_id = $1", user).await?;
                insert_entries(conn, user, 0, &entries).await?;
                let radio = matches!(source, domain::queue::PlaySource::Radio { .. });
                sqlx::query(
                    "update queues set current_position = null, is_radio = $2, track_count = $3
                      where user_id = $1",
                )
                .bind(user)
                .bind(radio)
                .bind(entries.len() as i32)
                .execute(&mut *conn)
                .await?;
            }
            QueueEvent::TrackEnqueued { entry, position } => {
                for_user_n(conn, "update queue_entries set position = position + 1 where user_id = $1 and position >= $2", user, position as i64).await?;
                insert_entries(conn, user, position, std::slice::from_ref(&entry)).await?;
                for_user_n(
                    conn,
                    "update queues set track_count = track_count + 1,
                            current_position = case when current_position >= $2
                                                    then current_position + 1 else current_position end
                      where user_id = $1",
                    user,
                    position as i64,
                )
                .await?;
            }
            QueueEvent::RadioTracksAppended { entries } => {
                let count: i32 =
                    sqlx::query_scalar("select track_count from queues where user_id = $1")
                        .bind(user)
                        .fetch_one(&mut *conn)
                        .await?;
                insert_entries(conn, user, count.max(0) as usize, &entries).await?;
                for_user_n(
                    conn,
                    "update queues set is_radio = true, track_count = track_count + $2 where user_id = $1",
                    user,
                    entries.len() as i64,
                )
                .await?;
            }
            QueueEvent::QueueTrimmed { removed } => {
                let n = removed as i64;
                for_user_n(
                    conn,
                    "delete from queue_entries where user_id = $1 and position < $2",
                    user,
                    n,
                )
                .await?;
                for_user_n(
                    conn,
                    "update queue_entries set position = position - $2 where user_id = $1",
                    user,
                    n,
                )
                .await?;
                for_user_n(
                    conn,
                    "update queues set current_position = greatest(current_position - $2, 0),
                            track_count = greatest(track_count - $2, 0)
                      where user_id = $1",
                    user,
                    n,
                )
                .await?;
            }
            QueueEvent::PlaybackMoved { position } => {
                for_user_n(
                    conn,
                    "update queues set current_position = $2 where user_id = $1",
                    user,
                    position as i64,
                )
                .await?;
            }
            QueueEvent::QueueShuffled { order } => {
                sqlx::query(
                    "update queue_entries q set position = base.first + o.rank - 1
                       from unnest($2::uuid[]) with ordinality as o(entry_id, rank),
                            (select coalesce(current_position + 1, 0) as first from queues where user_id = $1) base
                      where q.user_id = $1 and q.entry_id = o.entry_id",
                )
                .bind(user)
                .bind(order)
                .execute(&mut *conn)
                .await?;
            }
            QueueEvent::QueueCleared => {
                for_user(conn, "delete from queue_entries where user_id = $1", user).await?;
                for_user(
                    conn,
                    "update queues set current_position = null, is_radio = false, track_count = 0
                      where user_id = $1",
                    user,
                )
                .await?;
            }
            QueueEvent::TrackPlayed { .. } => {}
        }
        Ok(())
    }
}

/// The listening history: one row per `TrackPlayed`.
pub struct ListeningHistoryProjection;

#[async_trait]
impl Projection for ListeningHistoryProjection {
    fn name(&self) -> &'static str {
        "listening_history"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &[<Queue as cqrs_es::Aggregate>::TYPE]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["playback_history"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        if event.event_type != "TrackPlayed" {
            return Ok(());
        }
        let QueueEvent::TrackPlayed { play_id, track, .. } = event
            .decode()
            .map_err(|e| ProjectionError::decode(event, e))?
        else {
            return Ok(());
        };
        sqlx::query(
            "insert into playback_history (play_id, user_id, track_id, title, artist_id, artist_name, album_id,
                                           album_title, album_cover, duration, played_at, event_position)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(play_id)
        .bind(user_of(event)?)
        .bind(track.track_id.get() as i64)
        .bind(&track.title)
        .bind(track.artist_id.get() as i64)
        .bind(&track.artist_name)
        .bind(track.album_id.map(|a| a.get() as i64))
        .bind(&track.album_title)
        .bind(&track.album_cover)
        .bind(track.duration as i32)
        .bind(event.recorded_at)
        .bind(event.position)
        .execute(conn)
        .await?;
        Ok(())
    }
}
