//! The favorites read model: one row per favorite track in `favorites`, newest first by
//! the global position of the event that added it.

use async_trait::async_trait;
use cqrs_es::Aggregate;
use domain::library::{Library, LibraryEvent};
use sqlx::PgConnection;

use crate::{Projection, ProjectionError, StoredEvent};

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
        event: &StoredEvent,
    ) -> Result<(), ProjectionError> {
        let decoded: LibraryEvent = event
            .decode()
            .map_err(|e| ProjectionError::decode(event, e))?;
        // The library's id is its owner's user id.
        let user = event.aggregate_id.as_str();
        match decoded {
            LibraryEvent::FavoriteAdded { entry_id, track } => {
                sqlx::query(
                    "insert into favorites (user_id, entry_id, track_id, title, artist_id,
                                            artist_name, album_id, album_title, album_cover,
                                            duration, added_at, event_position)
                     values ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(user)
                .bind(entry_id.uuid())
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
                .execute(&mut *conn)
                .await?;
            }
            LibraryEvent::FavoriteRemoved { track_id } => {
                sqlx::query("delete from favorites where user_id = $1::uuid and track_id = $2")
                    .bind(user)
                    .bind(track_id.get() as i64)
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    }
}
