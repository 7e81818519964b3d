//! Personal recommendations: tracks to hear next and "Your Daily Mood" playlists, which the
//! caller can save as playlists of their own.

use chrono::{DateTime, Utc};
use domain::{
    PlaylistId,
    playlist::{Description, EntryId, NewEntry, PlaylistAction, PlaylistName},
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    playlists::{etag, execute},
    security::BearerAuth,
};
use crate::{
    catalog::Track,
    playlists::queries,
    recommendations::{self, DailyMood, MoodKey, MoodKeyError},
    state::AppState,
};

pub struct RecommendationsApi;

#[derive(Object)]
struct RecommendedTrack {
    track_id: String,
    track_title: String,
    artist_id: String,
    artist_name: String,
    album_title: String,
    album_cover: String,
    /// Seconds.
    duration: u32,
}

impl From<Track> for RecommendedTrack {
    fn from(track: Track) -> Self {
        Self {
            track_id: track.id.to_string(),
            track_title: track.title,
            artist_id: track.artist.id.to_string(),
            artist_name: track.artist.name,
            album_title: track.album.title,
            album_cover: track.album.cover_medium,
            duration: track.duration,
        }
    }
}

#[derive(Object)]
struct Recommendations {
    recommendations: Vec<RecommendedTrack>,
}

#[derive(Object)]
struct RecommendedPlaylist {
    /// Names this playlist for today, to save it: `daily-mood-<genre id>-<yyyymmdd>`.
    key: String,
    name: String,
    description: String,
    /// The genre's name; "All" for the charts.
    genre: String,
    /// The genre's catalog id; 0 for the charts.
    genre_id: u64,
    track_count: u32,
    tracks: Vec<RecommendedTrack>,
}

impl From<DailyMood> for RecommendedPlaylist {
    fn from(mood: DailyMood) -> Self {
        Self {
            key: mood.key.to_string(),
            name: mood.name,
            description: mood.description,
            genre: mood.genre.name,
            genre_id: mood.genre.id.get(),
            track_count: mood.tracks.len() as u32,
            tracks: mood
                .tracks
                .into_iter()
                .map(RecommendedTrack::from)
                .collect(),
        }
    }
}

#[derive(Object)]
struct RecommendedPlaylists {
    playlists: Vec<RecommendedPlaylist>,
}

#[derive(Object)]
struct SavedPlaylist {
    id: Uuid,
    name: String,
    description: String,
    is_public: bool,
    track_count: u32,
    created_at: DateTime<Utc>,
}

#[derive(ApiResponse)]
enum RecommendationsResponse {
    #[oai(status = 200)]
    Ok(Json<Recommendations>),
}

#[derive(ApiResponse)]
enum RecommendedResponse {
    #[oai(status = 200)]
    Ok(Json<RecommendedPlaylists>),
}

#[derive(ApiResponse)]
enum SaveResponse {
    /// The new playlist; `ETag` is its version, for `If-Match`.
    #[oai(status = 201)]
    Created(Json<SavedPlaylist>, #[oai(header = "ETag")] String),
}

fn default_limit() -> u32 {
    10
}

fn today() -> chrono::NaiveDate {
    Utc::now().date_naive()
}

/// Creates a private playlist owned by the caller with the mood's name and tracks.
async fn save_as_playlist(
    state: &AppState,
    auth: &BearerAuth,
    mood: DailyMood,
) -> ApiResult<SaveResponse> {
    let id = PlaylistId::new();
    let action = PlaylistAction::Create {
        playlist_id: id,
        name: PlaylistName::parse(&mood.name)?,
        description: Description::parse(&mood.description)?,
        is_public: false,
        tracks: mood
            .tracks
            .iter()
            .map(|t| NewEntry {
                entry_id: EntryId::new(),
                track: t.snapshot(),
            })
            .collect(),
    };
    execute(state, auth, id, None, action).await?;
    let row = queries::playlist(&state.pool, id.uuid())
        .await?
        .ok_or_else(|| ApiError::conflict("the playlist was deleted before it could be shown"))?;
    Ok(SaveResponse::Created(
        Json(SavedPlaylist {
            id: row.id,
            name: row.name,
            description: row.description,
            is_public: row.is_public,
            track_count: row.track_count.max(0) as u32,
            created_at: row.created_at,
        }),
        etag(row.version),
    ))
}

#[OpenApi(tag = "ApiTags::Recommendations")]
impl RecommendationsApi {
    /// Tracks for the caller: more of their favourite artists (from plays, favorites and
    /// playlist additions, recent ones counting more), related tracks and the top of their
    /// favourite genres; never tracks heard in the last hour or already favorited. A
    /// caller with no history gets the charts.
    #[oai(
        path = "/api/playlists/recommendations/",
        method = "get",
        operation_id = "get_recommendations"
    )]
    async fn recommendations(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        /// How many tracks, 1 to 100 (default 10); fewer when the catalog has no more.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        limit: Query<u32>,
    ) -> ApiResult<RecommendationsResponse> {
        let tracks = recommendations::recommend(state, auth.user().id, limit.0 as usize).await?;
        Ok(RecommendationsResponse::Ok(Json(Recommendations {
            recommendations: tracks.into_iter().map(RecommendedTrack::from).collect(),
        })))
    }

    /// Playlists made for the caller today (UTC): "Your Daily Mood" for each of their
    /// favourite genres, or from the charts for a caller with no history yet. The same
    /// all day; new ones tomorrow.
    #[oai(
        path = "/api/playlists/recommended/",
        method = "get",
        operation_id = "get_recommended_playlists"
    )]
    async fn recommended(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<RecommendedResponse> {
        let moods = recommendations::daily_moods(state, auth.user().id, today()).await?;
        Ok(RecommendedResponse::Ok(Json(RecommendedPlaylists {
            playlists: moods.into_iter().map(RecommendedPlaylist::from).collect(),
        })))
    }

    /// Save one of today's recommended playlists as a private playlist of the caller's.
    ///
    /// A key that is not one of the caller's recommended playlists today (another day's,
    /// or a genre no longer among their favourites) is a 404.
    #[oai(
        path = "/api/playlists/recommended/:key/save/",
        method = "post",
        operation_id = "save_recommended_playlist"
    )]
    async fn save(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        /// The playlist's `key`, e.g. daily-mood-113-20261126.
        key: Path<String>,
    ) -> ApiResult<SaveResponse> {
        let key: MoodKey = key
            .parse()
            .map_err(|e: MoodKeyError| ApiError::validation("key", e.to_string()))?;
        let mood = recommendations::daily_mood(state, auth.user().id, key, today())
            .await?
            .ok_or_else(|| {
                ApiError::not_found(format!("no recommended playlist {key} for you today"))
            })?;
        save_as_playlist(state, &auth, mood).await
    }
}
