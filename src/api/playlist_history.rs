//! A playlist's past: its audit history, the playlist as it was at a version or a time,
//! and restoring an old version. All of it is read from the event store, never from the
//! read model, so deleted playlists keep their history.

use chrono::{DateTime, Utc};
use domain::{
    PlaylistId,
    playlist::{Playlist, PlaylistAction},
};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use projections::StoredEvent;
use uuid::Uuid;

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    playlists::{
        PlaylistDetail, PlaylistResponse, PlaylistTrack, detail, etag, execute, parse_playlist_id,
    },
    security::BearerAuth,
    serde_json_body::SerdeJson,
    uploads,
};
use crate::{
    auth::sessions::CurrentUser,
    playlists::{
        Page,
        time_travel::{self, PastPlaylist, Until},
    },
    state::AppState,
};

/// The role that may read every playlist's history.
pub const AUDITOR: &str = "auditor";
const DEFAULT_HISTORY_PAGE: u32 = 100;

pub struct PlaylistHistoryApi;

/// One event of a playlist.
#[derive(Object)]
struct HistoryEntry {
    /// The playlist's version after this event, from 1.
    version: u64,
    /// E.g. `PlaylistCreated`, `TrackAdded`, `TrackMoved`, `PlaylistRestored`.
    event_type: String,
    /// The version of the event's schema.
    event_version: String,
    /// The user who made the change.
    #[oai(nullable)]
    actor: Option<Uuid>,
    /// When it was recorded.
    recorded_at: DateTime<Utc>,
    /// The `X-Request-Id` of the request that made it.
    #[oai(nullable)]
    request_id: Option<String>,
    /// The event's fields: what changed (a track's metadata as it was when added).
    change: serde_json::Value,
}

#[derive(Object)]
struct RestoreRequest {
    /// The version to bring back, from 1.
    version: u64,
}

#[derive(ApiResponse)]
enum HistoryResponse {
    /// The page of events, oldest first; `X-Total-Count` is the number of events.
    #[oai(status = 200)]
    Ok(
        Json<Vec<HistoryEntry>>,
        #[oai(header = "X-Total-Count")] i64,
    ),
}

impl HistoryEntry {
    fn from_event(event: &StoredEvent) -> Self {
        // cqrs-es stores an event as `{"<EventType>": {fields}}`.
        let payload = event.decode().unwrap_or_default();
        let change = match payload {
            serde_json::Value::Object(map) if map.len() == 1 => {
                map.into_iter().next().map(|(_, v)| v).unwrap_or_default()
            }
            other => other,
        };
        Self {
            version: event.sequence.max(0) as u64,
            event_type: event.event_type.clone(),
            event_version: event.event_version.clone(),
            actor: event.meta("actor").and_then(|a| a.parse().ok()),
            recorded_at: event.recorded_at,
            request_id: event.meta("request_id"),
            change,
        }
    }
}

/// History and past versions are for the owner, and for auditors on any playlist. To
/// anyone else a playlist they can see answers 403, and one they cannot see 404.
fn may_audit(user: &CurrentUser, latest: &Playlist) -> ApiResult<()> {
    let Some(details) = latest.details() else {
        return Err(ApiError::not_found("no such playlist"));
    };
    if details.owner.uuid() == user.id || user.has_role(AUDITOR) {
        Ok(())
    } else if details.is_public && !latest.is_deleted() {
        Err(ApiError::forbidden(
            "only the owner or an auditor may read a playlist's past",
        ))
    } else {
        Err(ApiError::not_found("no such playlist"))
    }
}

fn fold(events: &[StoredEvent], until: Until) -> ApiResult<PastPlaylist> {
    time_travel::fold(events, until).map_err(ApiError::internal)
}

fn render(past: &PastPlaylist) -> ApiResult<PlaylistResponse> {
    let playlist = &past.playlist;
    let (Some(details), Some(created_at), Some(updated_at)) =
        (playlist.details(), past.created_at(), past.updated_at())
    else {
        return Err(ApiError::not_found("the playlist did not exist yet then"));
    };
    if playlist.is_deleted() {
        return Err(ApiError::not_found("the playlist had been deleted by then"));
    }
    let tracks = playlist
        .tracks()
        .iter()
        .enumerate()
        .map(|(position, entry)| PlaylistTrack {
            id: entry.entry_id.uuid(),
            track_id: entry.track.track_id.to_string(),
            artist_id: entry.track.artist_id.to_string(),
            track_title: entry.track.title.clone(),
            artist_name: entry.track.artist_name.clone(),
            album_title: entry.track.album_title.clone(),
            album_cover: entry.track.album_cover.clone(),
            duration: entry.track.duration,
            position: position as u32,
            added_at: past.added_at(entry).unwrap_or(created_at),
        })
        .collect::<Vec<_>>();
    Ok(PlaylistResponse::Ok(
        SerdeJson::new(&PlaylistDetail {
            id: details.id.uuid(),
            name: details.name.clone(),
            description: details.description.clone(),
            cover_image: details.cover.as_deref().map(uploads::media_url),
            is_public: details.is_public,
            track_count: tracks.len() as u32,
            created_at,
            updated_at,
            tracks,
        }),
        etag(playlist.version() as i64),
    ))
}

/// The playlist exactly as it was at a version or a time (`GET .../{id}/?version=N`).
pub(super) async fn as_it_was(
    state: &AppState,
    auth: &BearerAuth,
    id: PlaylistId,
    until: Until,
) -> ApiResult<PlaylistResponse> {
    let events = time_travel::events(&state.pool, id).await?;
    let latest = fold(&events, Until::Latest)?;
    may_audit(auth.user(), &latest.playlist)?;
    if let Until::Version(version) = until
        && version > latest.playlist.version()
    {
        return Err(ApiError::validation(
            "version",
            format!(
                "there is no version {version}: the playlist is at version {}",
                latest.playlist.version()
            ),
        ));
    }
    render(&fold(&events, until)?)
}

#[OpenApi(tag = "ApiTags::PlaylistHistory")]
impl PlaylistHistoryApi {
    /// Every event of a playlist, oldest first: version, type, actor, time and change.
    ///
    /// For the playlist's owner, and for users with the `auditor` role on any playlist,
    /// private and deleted ones included.
    #[oai(
        path = "/api/playlists/playlists/:id/history/",
        method = "get",
        operation_id = "get_playlist_history"
    )]
    async fn history(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        /// Events per page, 1 to 1000 (default 100).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u32>>,
        /// Events to skip (default 0).
        offset: Query<Option<u32>>,
    ) -> ApiResult<HistoryResponse> {
        let id = parse_playlist_id(&id)?;
        let events = time_travel::events(&state.pool, id).await?;
        may_audit(auth.user(), &fold(&events, Until::Latest)?.playlist)?;
        let page = Page {
            limit: limit.0.unwrap_or(DEFAULT_HISTORY_PAGE).into(),
            offset: offset.0.unwrap_or(0).into(),
        };
        let entries = events
            .iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .map(HistoryEntry::from_event)
            .collect();
        Ok(HistoryResponse::Ok(Json(entries), events.len() as i64))
    }

    /// Bring a playlist back to how it was at a version (owner only).
    ///
    /// Appends ordinary events (details, cover, removals, additions, moves) after a
    /// `PlaylistRestored` marker: the history keeps everything, including what the
    /// restore undid. Answers the restored playlist.
    #[oai(
        path = "/api/playlists/playlists/:id/restore/",
        method = "post",
        operation_id = "restore_playlist"
    )]
    async fn restore(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<RestoreRequest>,
    ) -> ApiResult<PlaylistResponse> {
        let id = parse_playlist_id(&id)?;
        if body.version == 0 {
            return Err(ApiError::validation("version", "versions start at 1"));
        }
        let events = time_travel::events(&state.pool, id).await?;
        let target = fold(&events, Until::Version(body.version))?
            .playlist
            .contents()
            .ok_or_else(|| ApiError::not_found("no such playlist"))?;
        let action = PlaylistAction::Restore {
            version: body.version,
            target,
        };
        execute(state, &auth, id, if_match.as_deref(), action).await?;
        detail(state, id, auth.user().id).await
    }
}
