//! The favorites read model: one row per favorite track in `favorites`, newest first by
//! the global position of the event that added it.

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::library::{Library, LibraryEvent};
use sqlx::PgConnection;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    Projection, ProjectionError, StoredEvent,
    track_columns::{TRACK_COLUMNS, TrackColumns, db_id, track_unnest_args},
};

pub struct FavoritesProjection;

#[async_trait]
impl Projection for FavoritesProjection {
    fn name(&self) -> &'static str {
        "favorites"
    }

    fn aggregate_types(&self) -> &'static [&'static str] {
        &[Library::TYPE]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["favorites"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        let mut added = Added::default();
        for event in events {
            let decoded: LibraryEvent = event.decoded()?;
            // The library's id is its owner's user id.
            let user = event.aggregate_id.as_str();
            match decoded {
                LibraryEvent::FavoriteAdded { entry_id, track } => {
                    added.users.push(user.to_owned());
                    added.entries.push(entry_id.uuid());
                    added.tracks.push(&track);
                    added.at.push(event.recorded_at);
                    added.positions.push(event.position);
                }
                LibraryEvent::FavoriteRemoved { track_id } => {
                    added.insert(conn).await?;
                    sqlx::query("delete from favorites where user_id = $1::uuid and track_id = $2")
                        .bind(user)
                        .bind(db_id(track_id))
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        added.insert(conn).await?;
        Ok(())
    }
}

/// Favorites added since the last removal, inserted in one statement.
#[derive(Default)]
struct Added {
    users: Vec<String>,
    entries: Vec<Uuid>,
    tracks: TrackColumns,
    at: Vec<DateTime<Utc>>,
    positions: Vec<i64>,
}

impl Added {
    async fn insert(&mut self, conn: &mut PgConnection) -> Result<(), sqlx::Error> {
        if self.users.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "insert into favorites (user_id, entry_id, {TRACK_COLUMNS}, added_at, event_position)
             select * from unnest($1::text[]::uuid[], $2::uuid[], {}, $11::timestamptz[], $12::bigint[])",
            track_unnest_args(3)
        );
        let query = sqlx::query(&sql).bind(&self.users).bind(&self.entries);
        self.tracks
            .bind(query)
            .bind(&self.at)
            .bind(&self.positions)
            .execute(conn)
            .await?;
        *self = Self::default();
        Ok(())
    }
}
