//! The play queue read model: one row per user in `queues`, its entries in `queue_entries`.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::queue::{Queue, QueueEntry, QueueEvent};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    Projection, ProjectionError, StoredEvent,
    track_columns::{TRACK_COLUMNS, TrackColumns, track_unnest_args},
};

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
    let mut tracks = TrackColumns::default();
    entries.iter().for_each(|e| tracks.push(&e.track));
    let ids: Vec<Uuid> = entries.iter().map(|e| e.entry_id).collect();
    let positions: Vec<i32> = (first..first + entries.len()).map(|p| p as i32).collect();
    let sql = format!(
        "insert into queue_entries (user_id, entry_id, position, {TRACK_COLUMNS})
         select $1, * from unnest($2::uuid[], $3::int[], {})",
        track_unnest_args(4)
    );
    let query = sqlx::query(&sql).bind(user).bind(ids).bind(positions);
    tracks.bind(query).execute(conn).await?;
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
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut moves = Moves::default();
        let mut enqueues = Enqueues::default();
        for event in events {
            let user = user_of(event)?;
            // An enqueue waits to be written with others; anything else for that user must
            // see it first.
            if enqueues.has(user) {
                enqueues.flush(conn, &mut moves).await?;
            }
            // Plays and moves, the bulk of a listener's events, only touch the queue's row:
            // they fold into one statement until an event that changes the entries.
            if event.event_type == "TrackPlayed" {
                moves.touch(user, event, None);
                continue;
            }
            match event.decoded()? {
                QueueEvent::PlaybackMoved { position } => {
                    moves.touch(user, event, Some(position as i32));
                }
                QueueEvent::TrackEnqueued { entry, position } => {
                    moves.touch(user, event, None);
                    enqueues.push(user, entry, position);
                }
                change => {
                    moves.touch(user, event, None);
                    moves.flush(conn).await?;
                    change_entries(conn, user, change).await?;
                }
            }
        }
        enqueues.flush(conn, &mut moves).await?;
        moves.flush(conn).await?;
        Ok(())
    }
}

/// Enqueues of distinct users, written by three statements whatever their number: under
/// load most of a batch is enqueues, one per listener.
#[derive(Default)]
struct Enqueues {
    users: Vec<Uuid>,
    entries: Vec<Uuid>,
    positions: Vec<i32>,
    tracks: TrackColumns,
}

impl Enqueues {
    fn has(&self, user: Uuid) -> bool {
        self.users.contains(&user)
    }

    fn push(&mut self, user: Uuid, entry: QueueEntry, position: usize) {
        self.users.push(user);
        self.entries.push(entry.entry_id);
        self.positions.push(position as i32);
        self.tracks.push(&entry.track);
    }

    /// Writes the pending enqueues after `moves` (which hold every earlier play and move of
    /// these users, and create their queues' rows).
    async fn flush(
        &mut self,
        conn: &mut PgConnection,
        moves: &mut Moves,
    ) -> Result<(), sqlx::Error> {
        if self.users.is_empty() {
            return Ok(());
        }
        moves.flush(conn).await?;
        sqlx::query(
            "update queue_entries q set position = q.position + 1
               from unnest($1::uuid[], $2::int[]) as e(user_id, position)
              where q.user_id = e.user_id and q.position >= e.position",
        )
        .bind(&self.users)
        .bind(&self.positions)
        .execute(&mut *conn)
        .await?;
        let sql = format!(
            "insert into queue_entries (user_id, entry_id, position, {TRACK_COLUMNS})
             select * from unnest($1::uuid[], $2::uuid[], $3::int[], {})",
            track_unnest_args(4)
        );
        let query = sqlx::query(&sql)
            .bind(&self.users)
            .bind(&self.entries)
            .bind(&self.positions);
        self.tracks.bind(query).execute(&mut *conn).await?;
        sqlx::query(
            "update queues q set track_count = q.track_count + 1,
                    current_position = case when q.current_position >= e.position
                                            then q.current_position + 1 else q.current_position end
               from unnest($1::uuid[], $2::int[]) as e(user_id, position)
              where q.user_id = e.user_id",
        )
        .bind(&self.users)
        .bind(&self.positions)
        .execute(&mut *conn)
        .await?;
        *self = Self::default();
        Ok(())
    }
}

/// Each touched queue's latest event (time and position in the store) and current
/// position, in first-touched order. Every event of a queue touches it, so its row's
/// `last_event` moves with every change, in the transaction that makes the change.
#[derive(Default)]
struct Moves {
    users: Vec<Uuid>,
    latest: HashMap<Uuid, Touched>,
}

#[derive(Clone, Copy)]
struct Touched {
    at: DateTime<Utc>,
    event: i64,
    current: Option<i32>,
}

impl Moves {
    fn touch(&mut self, user: Uuid, event: &StoredEvent, current: Option<i32>) {
        let touched = self.latest.entry(user).or_insert_with(|| {
            self.users.push(user);
            Touched {
                at: event.recorded_at,
                event: event.position,
                current: None,
            }
        });
        touched.at = event.recorded_at;
        touched.event = event.position;
        touched.current = current.or(touched.current);
    }

    async fn flush(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.users.is_empty() {
            return Ok(());
        }
        let touched: Vec<Touched> = self.users.iter().map(|u| self.latest[u]).collect();
        sqlx::query(
            "insert into queues (user_id, updated_at, current_position, last_event)
             select * from unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::bigint[])
             on conflict (user_id) do update
                set updated_at = excluded.updated_at,
                    current_position = coalesce(excluded.current_position, queues.current_position),
                    last_event = excluded.last_event",
        )
        .bind(&self.users)
        .bind(touched.iter().map(|t| t.at).collect::<Vec<_>>())
        .bind(touched.iter().map(|t| t.current).collect::<Vec<_>>())
        .bind(touched.iter().map(|t| t.event).collect::<Vec<_>>())
        .execute(conn)
        .await?;
        self.users.clear();
        self.latest.clear();
        Ok(())
    }
}

/// Applies an event that changes the entries; the queue's row exists.
async fn change_entries(
    conn: &mut PgConnection,
    user: Uuid,
    change: QueueEvent,
) -> Result<(), ProjectionError> {
    match change {
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
        // Folded into `Moves` and `Enqueues` by the caller.
        QueueEvent::TrackPlayed { .. }
        | QueueEvent::PlaybackMoved { .. }
        | QueueEvent::TrackEnqueued { .. } => {}
    }
    Ok(())
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
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut plays: Vec<Uuid> = Vec::new();
        let mut users: Vec<Uuid> = Vec::new();
        let mut tracks = TrackColumns::default();
        let mut played_at: Vec<DateTime<Utc>> = Vec::new();
        let mut positions: Vec<i64> = Vec::new();
        for event in events.iter().filter(|e| e.event_type == "TrackPlayed") {
            let QueueEvent::TrackPlayed { play_id, track, .. } = event.decoded()? else {
                continue;
            };
            plays.push(play_id);
            users.push(user_of(event)?);
            tracks.push(&track);
            played_at.push(event.recorded_at);
            positions.push(event.position);
        }
        if plays.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "insert into playback_history (play_id, user_id, {TRACK_COLUMNS}, played_at, event_position)
             select * from unnest($1::uuid[], $2::uuid[], {}, $11::timestamptz[], $12::bigint[])",
            track_unnest_args(3)
        );
        let query = sqlx::query(&sql).bind(plays).bind(users);
        tracks
            .bind(query)
            .bind(played_at)
            .bind(positions)
            .execute(conn)
            .await?;
        Ok(())
    }
}
