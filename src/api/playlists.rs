//! Playlists: the list, each playlist and its tracks, covers and generated playlists.
//! Changes are commands on the playlist's aggregate; answers come from the playlist the
//! command left, or from the read model, which already shows the change (the command bus
//! waits for it).

mod bodies;
mod track_id;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use domain::{
    CatalogId, PlaylistId, TrackSnapshot, UserId,
    playlist::{
        Description, EntryId, InvalidValue, NewEntry, Playlist, PlaylistAction, PlaylistCommand,
        PlaylistError, PlaylistName,
    },
};
use futures::future::try_join_all;
use poem::web::Data;
use poem_openapi::{
    OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    playlist_history,
    security::BearerAuth,
    serde_json_body::SerdeJson,
    uploads,
    view_cache::{ListKey, version_of},
};
use crate::{
    catalog::{GenreId, Track},
    playlists::{
        Page,
        queries::{self, PlaylistRow},
        time_travel::Until,
    },
    state::AppState,
};

/// The most track ids one `add_tracks` request may name.
const MAX_TRACKS_PER_REQUEST: usize = 100;
/// How many of a genre's top tracks a generated playlist gets.
const GENERATED_TRACKS: usize = 20;
const DEFAULT_PAGE_SIZE: u32 = 50;

use bodies::{
    AddTrackRequest, AddTrackResponse, AddTracksRequest, AddTracksResponse, AddedTrackInfo,
    CoverResponse, CoverUpload, CoverUploaded, CreatePlaylistRequest, CreateResponse,
    CreatedPlaylist, DeleteResponse, GenerateRequest, GenerateResponse, GeneratedPlaylist,
    ListResponse, MoveTrackRequest, RemoveTrackResponse, TrackAdded, TracksAdded,
    UpdatePlaylistRequest, UpdateResponse, UpdatedPlaylist, detail_json, list_json,
};
pub(super) use bodies::{Message, PlaylistDetail, PlaylistResponse, PlaylistTrack};
pub(super) use track_id::{TrackIdInput, parse_track_id};

pub struct PlaylistsApi;

impl From<InvalidValue> for ApiError {
    fn from(err: InvalidValue) -> Self {
        ApiError::validation(err.field, err.message)
    }
}

impl From<PlaylistError> for ApiError {
    fn from(err: PlaylistError) -> Self {
        match err {
            PlaylistError::Invalid(invalid) => invalid.into(),
            PlaylistError::NotFound => ApiError::not_found("no such playlist"),
            PlaylistError::NotOwner => ApiError::forbidden(err.to_string()),
            PlaylistError::AlreadyExists => ApiError::conflict(err.to_string()),
            PlaylistError::VersionMismatch { .. } => ApiError::precondition_failed(err.to_string()),
            PlaylistError::TrackAlreadyAdded(_) => {
                ApiError::validation("track_id", err.to_string())
            }
            PlaylistError::TrackNotInPlaylist(_) => ApiError::not_found(err.to_string()),
            PlaylistError::PositionOutOfRange { .. } => {
                ApiError::validation("position", err.to_string())
            }
            PlaylistError::Full { .. } | PlaylistError::NoTracks => {
                ApiError::validation("tracks", err.to_string())
            }
            PlaylistError::NoSuchVersion { .. } => ApiError::validation("version", err.to_string()),
        }
    }
}

pub(crate) fn parse_playlist_id(raw: &str) -> ApiResult<PlaylistId> {
    Ok(raw.parse::<PlaylistId>()?)
}

/// `limit` (already range-checked) and `offset` as a page.
pub(super) fn page(limit: Option<u32>, offset: Option<u32>) -> Page {
    Page {
        limit: limit.unwrap_or(DEFAULT_PAGE_SIZE).into(),
        offset: offset.unwrap_or(0).into(),
    }
}

/// `If-Match: 7` or `If-Match: "7"` (the form `ETag` uses); `*` matches any version.
fn expected_version(if_match: Option<&str>) -> ApiResult<Option<u64>> {
    let Some(raw) = if_match.map(str::trim) else {
        return Ok(None);
    };
    if raw == "*" {
        return Ok(None);
    }
    let unquoted = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    unquoted.parse().map(Some).map_err(|_| {
        ApiError::validation(
            "If-Match",
            "must be a playlist version as its ETag gives it, e.g. \"3\"",
        )
    })
}

pub(super) fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// Runs a command on the playlist as the caller; answers the playlist's version after it.
pub(super) async fn execute(
    state: &AppState,
    auth: &BearerAuth,
    id: PlaylistId,
    if_match: Option<&str>,
    action: PlaylistAction,
) -> ApiResult<i64> {
    execute_then(state, auth, id, if_match, action, |p| p.version() as i64).await
}

/// Runs a command on the playlist as the caller; answers `answer` of the playlist it left.
async fn execute_then<R>(
    state: &AppState,
    auth: &BearerAuth,
    id: PlaylistId,
    if_match: Option<&str>,
    action: PlaylistAction,
    answer: impl FnOnce(&Playlist) -> R,
) -> ApiResult<R> {
    let command = PlaylistCommand {
        actor: UserId::from_uuid(auth.user().id),
        expected_version: expected_version(if_match)?,
        action,
    };
    Ok(state
        .playlists
        .execute_then(&id.to_string(), command, auth.user().id, answer)
        .await?)
}

/// The playlist if the viewer may see it: another user's private playlist is a 404.
async fn visible(state: &AppState, id: PlaylistId, viewer: Uuid) -> ApiResult<PlaylistRow> {
    queries::playlist(&state.pool, id.uuid())
        .await?
        .filter(|row| row.visible_to(viewer))
        .ok_or_else(|| ApiError::not_found("no such playlist"))
}

/// Checks, before work such as catalog look-ups or storing an upload, what the command
/// would check again: the caller owns the playlist. A playlist the last command here left
/// answers for its owner without a query, as no event gives a playlist another owner (one
/// deleted by another instance since is refused by the command); to anyone else, the read
/// model tells whether the playlist is theirs to see (403) or not (404).
async fn owned(state: &AppState, id: PlaylistId, viewer: Uuid) -> ApiResult<()> {
    let owner = UserId::from_uuid(viewer);
    if state
        .playlists
        .peek(&id.to_string(), |p| p.is_owned_by(owner))
        == Some(true)
    {
        return Ok(());
    }
    let row = visible(state, id, viewer).await?;
    if row.owner_id != viewer {
        return Err(ApiError::forbidden(PlaylistError::NotOwner.to_string()));
    }
    Ok(())
}

/// The playlist with its tracks, as the read model has it now.
pub(super) async fn detail(
    state: &AppState,
    id: PlaylistId,
    viewer: Uuid,
) -> ApiResult<PlaylistResponse> {
    let answers = &state.views.playlists;
    let known = answers.known(&id.uuid());
    let version = version_of(&known);
    let (row, tracks) = state
        .reads
        .read(|conn| Box::pin(queries::playlist_with_tracks(conn, id.uuid(), version)))
        .await?
        .filter(|(row, _)| row.visible_to(viewer))
        .ok_or_else(|| ApiError::not_found("no such playlist"))?;
    let version = row.version;
    let answer = answers.answer(id.uuid(), known, tracks, |tracks| {
        ((), detail_json(row, &tracks, &state.views))
    });
    Ok(PlaylistResponse::Ok(
        SerdeJson::rendered(answer.body.render()),
        etag(version),
    ))
}

/// The catalog's current metadata for each track, in order; an unknown id is a 404
/// before anything is written.
pub(super) async fn snapshots(
    state: &AppState,
    ids: &[CatalogId],
) -> ApiResult<Vec<TrackSnapshot>> {
    let tracks = try_join_all(ids.iter().map(|id| state.catalog.track(*id))).await?;
    Ok(tracks.iter().map(Track::snapshot).collect())
}

fn new_entries(tracks: Vec<TrackSnapshot>) -> Vec<NewEntry> {
    tracks
        .into_iter()
        .map(|track| NewEntry {
            entry_id: EntryId::new(),
            track,
        })
        .collect()
}

/// The genre the request names: by id, else by name (ignoring case).
async fn find_genre(
    state: &AppState,
    request: &GenerateRequest,
) -> ApiResult<crate::catalog::Genre> {
    if let Some(id) = request.genre_id {
        return Ok(state.catalog.genre(GenreId::new(id)).await?);
    }
    let wanted = request.genre.trim();
    state
        .catalog
        .genres()
        .await?
        .into_iter()
        .find(|g| g.name.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| ApiError::not_found(format!("no genre named {wanted:?} in the catalog")))
}

#[OpenApi(tag = "ApiTags::Playlists")]
impl PlaylistsApi {
    /// List playlists: public ones and the caller's own, newest first.
    ///
    /// With `me=true`, only the caller's. The body is the contract's bare array; the
    /// number of playlists across all pages is in the `X-Total-Count` header.
    #[oai(
        path = "/api/playlists/playlists/",
        method = "get",
        operation_id = "list_playlists"
    )]
    async fn list(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        /// Only the caller's playlists.
        me: Query<Option<bool>>,
        /// Playlists per page, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
        /// Playlists to skip (default 0).
        offset: Query<Option<u32>>,
    ) -> ApiResult<ListResponse> {
        let viewer = auth.user().id;
        let mine = me.0.unwrap_or(false);
        let page = page(limit.0, offset.0);
        let key = ListKey {
            viewer,
            mine,
            limit: page.limit,
            offset: page.offset,
        };
        let answers = &state.views.playlist_lists;
        let known = answers.known(&key);
        let version = version_of(&known);
        let read = state
            .reads
            .read(|conn| Box::pin(queries::list_playlists(conn, viewer, mine, page, version)))
            .await?;
        let answer = answers.answer(key, known, read, |(rows, total)| {
            (total, list_json(rows, &state.views))
        });
        Ok(ListResponse::Ok(
            SerdeJson::rendered(answer.body.render()),
            answer.meta,
        ))
    }

    /// Create a playlist owned by the caller.
    #[oai(
        path = "/api/playlists/playlists/",
        method = "post",
        operation_id = "create_playlist"
    )]
    async fn create(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<CreatePlaylistRequest>,
    ) -> ApiResult<CreateResponse> {
        let id = PlaylistId::new();
        let action = PlaylistAction::Create {
            playlist_id: id,
            name: PlaylistName::parse(&body.name)?,
            description: Description::parse(&body.description)?,
            is_public: body.is_public,
            tracks: vec![],
        };
        execute(state, &auth, id, None, action).await?;
        let row = visible(state, id, auth.user().id).await?;
        Ok(CreateResponse::Created(
            Json(CreatedPlaylist {
                id: row.id,
                name: row.name,
                description: row.description,
                is_public: row.is_public,
                created_at: row.created_at,
            }),
            etag(row.version),
        ))
    }

    /// A playlist with its tracks, now or as it was.
    ///
    /// Without parameters: the current playlist (public ones, and the caller's own).
    /// With `version=N` or `as_of=<RFC 3339 time>`: the playlist exactly as it was then,
    /// rebuilt from its events; allowed to its owner and to auditors (any playlist,
    /// private and deleted ones included).
    #[oai(
        path = "/api/playlists/playlists/:id/",
        method = "get",
        operation_id = "get_playlist"
    )]
    async fn get(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        /// The playlist's id (a UUID).
        id: Path<String>,
        /// A past version, from 1.
        #[oai(validator(minimum(value = "1")))]
        version: Query<Option<u64>>,
        /// A past moment, e.g. 2026-01-31T12:00:00Z.
        as_of: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<PlaylistResponse> {
        let id = parse_playlist_id(&id)?;
        match (version.0, as_of.0) {
            (None, None) => detail(state, id, auth.user().id).await,
            (Some(_), Some(_)) => Err(ApiError::bad_request(
                "give either version or as_of, not both",
            )),
            (Some(version), None) => {
                playlist_history::as_it_was(state, &auth, id, Until::Version(version)).await
            }
            (None, Some(at)) => {
                playlist_history::as_it_was(state, &auth, id, Until::Time(at)).await
            }
        }
    }

    /// Change a playlist's name, description or visibility (owner only).
    ///
    /// Send `If-Match: <ETag>` to change it only if nobody else did meanwhile (412 if
    /// they did); this holds for every change of a playlist.
    #[oai(
        path = "/api/playlists/playlists/:id/",
        method = "patch",
        operation_id = "update_playlist"
    )]
    async fn update(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<UpdatePlaylistRequest>,
    ) -> ApiResult<UpdateResponse> {
        let id = parse_playlist_id(&id)?;
        let action = PlaylistAction::UpdateDetails {
            name: body.name.as_deref().map(PlaylistName::parse).transpose()?,
            description: body
                .description
                .as_deref()
                .map(Description::parse)
                .transpose()?,
            is_public: body.is_public,
        };
        execute(state, &auth, id, if_match.as_deref(), action).await?;
        let row = visible(state, id, auth.user().id).await?;
        Ok(UpdateResponse::Ok(
            Json(UpdatedPlaylist {
                id: row.id,
                name: row.name,
                description: row.description,
                is_public: row.is_public,
                updated_at: row.updated_at,
            }),
            etag(row.version),
        ))
    }

    /// Delete a playlist (owner only). Its history stays readable to auditors.
    #[oai(
        path = "/api/playlists/playlists/:id/",
        method = "delete",
        operation_id = "delete_playlist"
    )]
    async fn delete(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> ApiResult<DeleteResponse> {
        let id = parse_playlist_id(&id)?;
        execute(
            state,
            &auth,
            id,
            if_match.as_deref(),
            PlaylistAction::Delete,
        )
        .await?;
        Ok(DeleteResponse::Deleted)
    }

    /// Add a track at the end of a playlist (owner only).
    ///
    /// A track already in the playlist is a 400 naming it; an id the catalog does not
    /// know is a 404, and nothing is recorded.
    #[oai(
        path = "/api/playlists/playlists/:id/add_track/",
        method = "post",
        operation_id = "add_track"
    )]
    async fn add_track(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<AddTrackRequest>,
    ) -> ApiResult<AddTrackResponse> {
        let id = parse_playlist_id(&id)?;
        let track_id = body.track_id.parse("track_id")?;
        owned(state, id, auth.user().id).await?;
        let track = snapshots(state, &[track_id]).await?.remove(0);
        let entry_id = EntryId::new();
        let info = AddedTrackInfo {
            id: entry_id.uuid(),
            track_id: track_id.to_string(),
            track_title: track.title.clone(),
            artist_name: track.artist_name.clone(),
        };
        let entry = NewEntry { entry_id, track };
        let action = PlaylistAction::AddTrack { entry };
        let version = execute(state, &auth, id, if_match.as_deref(), action).await?;
        Ok(AddTrackResponse::Created(
            Json(TrackAdded {
                message: "Track added successfully".into(),
                track_info: info,
            }),
            etag(version),
        ))
    }

    /// Add several tracks at the end of a playlist, in order (owner only).
    ///
    /// Tracks already in the playlist are skipped: `added_count` counts those added,
    /// `total` the distinct tracks named. Every id must be known to the catalog (else
    /// 404 and nothing is added).
    #[oai(
        path = "/api/playlists/playlists/:id/add_tracks/",
        method = "post",
        operation_id = "add_tracks"
    )]
    async fn add_tracks(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<AddTracksRequest>,
    ) -> ApiResult<AddTracksResponse> {
        let id = parse_playlist_id(&id)?;
        if body.tracks.is_empty() || body.tracks.len() > MAX_TRACKS_PER_REQUEST {
            return Err(ApiError::validation(
                "tracks",
                format!("give 1 to {MAX_TRACKS_PER_REQUEST} track ids"),
            ));
        }
        let mut ids = Vec::with_capacity(body.tracks.len());
        for raw in &body.tracks {
            let track_id = raw.parse("tracks")?;
            if !ids.contains(&track_id) {
                ids.push(track_id);
            }
        }
        owned(state, id, auth.user().id).await?;
        let entries = new_entries(snapshots(state, &ids).await?);
        let entry_ids: HashSet<EntryId> = entries.iter().map(|e| e.entry_id).collect();
        let action = PlaylistAction::AddTracks { entries };
        // The aggregate skipped the tracks already there: the entries made for this
        // request that it holds now are the ones it added.
        let (version, added) = execute_then(state, &auth, id, if_match.as_deref(), action, |p| {
            let added = p
                .tracks()
                .iter()
                .filter(|e| entry_ids.contains(&e.entry_id));
            (p.version() as i64, added.count())
        })
        .await?;
        Ok(AddTracksResponse::Ok(
            Json(TracksAdded {
                added_count: added as u32,
                total: ids.len() as u32,
            }),
            etag(version),
        ))
    }

    /// Remove a track from a playlist (owner only); the tracks after it move up.
    #[oai(
        path = "/api/playlists/playlists/:id/remove_track/",
        method = "delete",
        operation_id = "remove_track"
    )]
    async fn remove_track(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        /// The catalog id of the track to remove.
        track_id: Query<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
    ) -> ApiResult<RemoveTrackResponse> {
        let id = parse_playlist_id(&id)?;
        let track_id = parse_track_id(&track_id, "track_id")?;
        let action = PlaylistAction::RemoveTrack { track_id };
        let version = execute(state, &auth, id, if_match.as_deref(), action).await?;
        Ok(RemoveTrackResponse::Ok(
            Json(Message {
                message: "Track removed successfully".into(),
            }),
            etag(version),
        ))
    }

    /// Move a track to another position (owner only); the tracks in between shift by
    /// one. Answers the playlist in its new order.
    #[oai(
        path = "/api/playlists/playlists/:id/move_track/",
        method = "post",
        operation_id = "move_track"
    )]
    async fn move_track(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        body: Json<MoveTrackRequest>,
    ) -> ApiResult<PlaylistResponse> {
        let id = parse_playlist_id(&id)?;
        let action = PlaylistAction::MoveTrack {
            track_id: body.track_id.parse("track_id")?,
            position: body.position as usize,
        };
        execute(state, &auth, id, if_match.as_deref(), action).await?;
        detail(state, id, auth.user().id).await
    }

    /// Upload a playlist's cover image (multipart field `cover_image`; owner only).
    #[oai(
        path = "/api/playlists/playlists/:id/upload-cover/",
        method = "post",
        operation_id = "upload_playlist_cover"
    )]
    async fn upload_cover(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        form: CoverUpload,
    ) -> ApiResult<CoverResponse> {
        let id = parse_playlist_id(&id)?;
        owned(state, id, auth.user().id).await?;
        let key = uploads::store_image(state, "covers", "cover_image", form.cover_image).await?;
        let action = PlaylistAction::SetCover { cover: key.clone() };
        let version = execute(state, &auth, id, if_match.as_deref(), action).await?;
        Ok(CoverResponse::Ok(
            Json(CoverUploaded {
                cover_url: uploads::media_url(&key),
            }),
            etag(version),
        ))
    }

    /// Generate a private playlist from a genre's top tracks.
    #[oai(
        path = "/api/playlists/generate/",
        method = "post",
        operation_id = "generate_playlist"
    )]
    async fn generate(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        body: Json<GenerateRequest>,
    ) -> ApiResult<GenerateResponse> {
        let name = match &body.name {
            Some(name) => Some(PlaylistName::parse(name)?),
            None => None,
        };
        let genre = find_genre(state, &body).await?;
        let tracks = state
            .catalog
            .genre_top_tracks(genre.id, GENERATED_TRACKS)
            .await?;
        if tracks.is_empty() {
            return Err(ApiError::not_found(format!(
                "the catalog has no tracks for the genre {}",
                genre.name
            )));
        }
        let name = match name {
            Some(name) => name,
            None => PlaylistName::parse(&format!("{} Mix", genre.name))?,
        };
        let description = Description::parse(&format!("The top {} tracks", genre.name))?;
        let id = PlaylistId::new();
        let action = PlaylistAction::Create {
            playlist_id: id,
            name,
            description,
            is_public: false,
            tracks: new_entries(tracks.iter().map(Track::snapshot).collect()),
        };
        execute(state, &auth, id, None, action).await?;
        let row = visible(state, id, auth.user().id).await?;
        Ok(GenerateResponse::Created(
            Json(GeneratedPlaylist {
                id: row.id,
                name: row.name,
                description: row.description,
                track_count: row.track_count.max(0) as u32,
                genre: genre.name,
            }),
            etag(row.version),
        ))
    }
}
