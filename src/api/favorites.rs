//! Favorites: the caller's library of favorite tracks (one `Library` aggregate per user).

use chrono::{DateTime, Utc};
use domain::{
    UserId,
    library::{LibraryCommand, LibraryError},
    playlist::EntryId,
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, payload::Json};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    playlists::{Message, TrackIdInput, page, parse_track_id, snapshots},
    security::BearerAuth,
};
use crate::{
    playlists::queries::{self, FavoriteRow},
    state::AppState,
};

pub struct FavoritesApi;

#[derive(Object)]
struct Favorite {
    /// This favorite's id.
    id: Uuid,
    track_id: String,
    track_title: String,
    artist_id: String,
    artist_name: String,
    album_title: String,
    album_cover: String,
    added_at: DateTime<Utc>,
}

#[derive(Object)]
struct AddFavoriteRequest {
    track_id: TrackIdInput,
}

#[derive(Object)]
struct FavoriteTrackInfo {
    track_id: String,
    track_title: String,
}

#[derive(Object)]
struct FavoriteAdded {
    message: String,
    track_info: FavoriteTrackInfo,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// The page of favorites; `X-Total-Count` is the number across all pages.
    #[oai(status = 200)]
    Ok(Json<Vec<Favorite>>, #[oai(header = "X-Total-Count")] i64),
}

#[derive(ApiResponse)]
enum AddResponse {
    #[oai(status = 201)]
    Created(Json<FavoriteAdded>),
}

#[derive(ApiResponse)]
enum RemoveResponse {
    #[oai(status = 200)]
    Ok(Json<Message>),
}

impl From<LibraryError> for ApiError {
    fn from(err: LibraryError) -> Self {
        match err {
            LibraryError::AlreadyFavorite(_) | LibraryError::Full { .. } => {
                ApiError::validation("track_id", err.to_string())
            }
            LibraryError::NotFavorite(_) => ApiError::not_found(err.to_string()),
        }
    }
}

impl From<FavoriteRow> for Favorite {
    fn from(row: FavoriteRow) -> Self {
        Self {
            id: row.entry_id,
            track_id: row.track_id.to_string(),
            track_title: row.title,
            artist_id: row.artist_id.to_string(),
            artist_name: row.artist_name,
            album_title: row.album_title,
            album_cover: row.album_cover,
            added_at: row.added_at,
        }
    }
}

async fn execute(state: &AppState, auth: &BearerAuth, command: LibraryCommand) -> ApiResult<()> {
    let user = auth.user().id;
    // The library's id is its owner's: only the caller's own library is ever changed.
    let library = UserId::from_uuid(user).to_string();
    state.library.execute(&library, command, user).await?;
    Ok(())
}

#[OpenApi(tag = "ApiTags::Favorites")]
impl FavoritesApi {
    /// The caller's favorite tracks, newest first.
    ///
    /// The body is the contract's bare array; the number of favorites across all pages
    /// is in the `X-Total-Count` header.
    #[oai(
        path = "/api/playlists/favorites/",
        method = "get",
        operation_id = "list_favorites"
    )]
    async fn list(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        /// Favorites per page, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// Favorites to skip (default 0).
        offset: Query<Option<u32>>,
    ) -> ApiResult<ListResponse> {
        let (rows, total) =
            queries::favorites(&state.pool, auth.user().id, page(limit.0, offset.0)).await?;
        Ok(ListResponse::Ok(
            Json(rows.into_iter().map(Favorite::from).collect()),
            total,
        ))
    }

    /// Add a track to the caller's favorites.
    ///
    /// A track already there is a 400 naming it; an id the catalog does not know is a
    /// 404, and nothing is recorded.
    #[oai(
        path = "/api/playlists/favorites/add/",
        method = "post",
        operation_id = "add_favorite"
    )]
    async fn add(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<AddFavoriteRequest>,
    ) -> ApiResult<AddResponse> {
        let track_id = body.track_id.parse("track_id")?;
        let track = snapshots(state, &[track_id]).await?.remove(0);
        let track_info = FavoriteTrackInfo {
            track_id: track_id.to_string(),
            track_title: track.title.clone(),
        };
        let command = LibraryCommand::AddFavorite {
            entry_id: EntryId::new(),
            track,
        };
        execute(state, &auth, command).await?;
        Ok(AddResponse::Created(Json(FavoriteAdded {
            message: "Track added to favorites".into(),
            track_info,
        })))
    }

    /// Remove a track from the caller's favorites.
    #[oai(
        path = "/api/playlists/favorites/remove/",
        method = "delete",
        operation_id = "remove_favorite"
    )]
    async fn remove(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        /// The catalog id of the track.
        track_id: Query<String>,
    ) -> ApiResult<RemoveResponse> {
        let track_id = parse_track_id(&track_id, "track_id")?;
        execute(state, &auth, LibraryCommand::RemoveFavorite { track_id }).await?;
        Ok(RemoveResponse::Ok(Json(Message {
            message: "Track removed from favorites".into(),
        })))
    }
}
