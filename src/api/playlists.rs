//! Playlists: the list, each playlist and its tracks, covers and generated playlists.
//! Changes are commands on the playlist's aggregate; answers come from the read model,
//! which already shows the change (the command bus waits for it).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use domain::{
    CatalogId, PlaylistId, TrackSnapshot, UserId,
    playlist::{
        Description, EntryId, InvalidValue, NewEntry, PlaylistAction, PlaylistCommand,
        PlaylistError, PlaylistName,
    },
};
use futures::future::try_join_all;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    registry::{MetaSchema, MetaSchemaRef},
    types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type, multipart::Upload},
};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    playlist_history,
    security::BearerAuth,
    uploads,
};
use crate::{
    catalog::{GenreId, Track},
    playlists::{
        Page,
        queries::{self, PlaylistRow, TrackRow},
        time_travel::Until,
    },
    state::AppState,
};

/// The most track ids one `add_tracks` request may name.
const MAX_TRACKS_PER_REQUEST: usize = 100;
/// How many of a genre's top tracks a generated playlist gets.
const GENERATED_TRACKS: usize = 20;
const DEFAULT_PAGE_SIZE: u32 = 50;

pub struct PlaylistsApi;

/// A catalog (Deezer) track id as the body sent it: a string or a number. Parsed into a
/// `CatalogId` by the handler, so a UUID or junk gets a 400 naming the field.
#[derive(Debug, Clone)]
pub(super) enum TrackIdInput {
    Number(u64),
    Text(String),
}

impl Type for TrackIdInput {
    const IS_REQUIRED: bool = true;
    type RawValueType = Self;
    type RawElementValueType = Self;

    fn name() -> Cow<'static, str> {
        "TrackId".into()
    }

    fn schema_ref() -> MetaSchemaRef {
        let as_text = MetaSchema::new("string");
        let as_number = MetaSchema::new_with_format("integer", "int64");
        MetaSchemaRef::Inline(Box::new(MetaSchema {
            description: Some(
                "A catalog (Deezer) track id: a positive integer, as a string or a number.",
            ),
            one_of: vec![
                MetaSchemaRef::Inline(Box::new(as_text)),
                MetaSchemaRef::Inline(Box::new(as_number)),
            ],
            ..MetaSchema::ANY
        }))
    }

    fn as_raw_value(&self) -> Option<&Self> {
        Some(self)
    }

    fn raw_element_iter<'a>(&'a self) -> Box<dyn Iterator<Item = &'a Self> + 'a> {
        Box::new(self.as_raw_value().into_iter())
    }
}

impl ParseFromJSON for TrackIdInput {
    fn parse_from_json(value: Option<serde_json::Value>) -> ParseResult<Self> {
        match value {
            Some(serde_json::Value::String(text)) => Ok(Self::Text(text)),
            Some(serde_json::Value::Number(n)) => n
                .as_u64()
                .map(Self::Number)
                .ok_or_else(|| ParseError::custom("a track id is a positive integer")),
            other => Err(ParseError::expected_type(other.unwrap_or_default())),
        }
    }
}

impl ToJSON for TrackIdInput {
    fn to_json(&self) -> Option<serde_json::Value> {
        Some(match self {
            Self::Number(n) => (*n).into(),
            Self::Text(text) => text.as_str().into(),
        })
    }
}

impl TrackIdInput {
    /// The id, or a 400 naming `field` (a UUID here gets a message saying so).
    pub(super) fn parse(&self, field: &str) -> ApiResult<CatalogId> {
        match self {
            Self::Number(n) => {
                CatalogId::new(*n).map_err(|e| ApiError::validation(field, e.to_string()))
            }
            Self::Text(text) => parse_track_id(text, field),
        }
    }
}

/// A track id from a query parameter, or a 400 naming `field`.
pub(super) fn parse_track_id(raw: &str, field: &str) -> ApiResult<CatalogId> {
    raw.parse()
        .map_err(|e: domain::IdError| ApiError::validation(field, e.to_string()))
}

#[derive(Object)]
struct CreatePlaylistRequest {
    /// 1 to 100 characters (trimmed).
    name: String,
    /// At most 1000 characters (default empty).
    #[oai(default)]
    description: String,
    /// Default false: a new playlist is private until made public.
    #[oai(default)]
    is_public: bool,
}

#[derive(Object)]
struct UpdatePlaylistRequest {
    name: Option<String>,
    description: Option<String>,
    is_public: Option<bool>,
}

#[derive(Object)]
struct AddTrackRequest {
    track_id: TrackIdInput,
}

#[derive(Object)]
struct AddTracksRequest {
    /// 1 to 100 catalog track ids.
    tracks: Vec<TrackIdInput>,
}

#[derive(Object)]
struct MoveTrackRequest {
    track_id: TrackIdInput,
    /// The new position, from 0.
    position: u32,
}

#[derive(Object)]
struct GenerateRequest {
    /// The genre's name (e.g. "Rock"), used when `genre_id` is absent.
    genre: String,
    /// The genre's catalog id; takes precedence over `genre`.
    genre_id: Option<u64>,
    /// Default: "<genre> Mix".
    name: Option<String>,
}

#[derive(Multipart)]
struct CoverUpload {
    /// PNG, JPEG, WebP or GIF (judged by content), at most 5 MB.
    cover_image: Upload,
}

#[derive(Object)]
struct PlaylistSummary {
    id: Uuid,
    name: String,
    description: String,
    /// URL of the cover image, or null.
    cover_image: Option<String>,
    is_public: bool,
    track_count: u32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub(super) struct PlaylistTrack {
    /// This entry's id.
    pub id: Uuid,
    pub track_id: String,
    pub artist_id: String,
    pub track_title: String,
    pub artist_name: String,
    pub album_title: String,
    pub album_cover: String,
    /// Seconds.
    pub duration: u32,
    /// From 0, dense.
    pub position: u32,
    pub added_at: DateTime<Utc>,
}

#[derive(Object)]
pub(super) struct PlaylistDetail {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub cover_image: Option<String>,
    pub is_public: bool,
    pub track_count: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub tracks: Vec<PlaylistTrack>,
}

#[derive(Object)]
struct CreatedPlaylist {
    id: Uuid,
    name: String,
    description: String,
    is_public: bool,
    created_at: DateTime<Utc>,
}

#[derive(Object)]
struct UpdatedPlaylist {
    id: Uuid,
    name: String,
    description: String,
    is_public: bool,
    updated_at: DateTime<Utc>,
}

#[derive(Object)]
struct AddedTrackInfo {
    /// The new entry's id.
    id: Uuid,
    track_id: String,
    track_title: String,
    artist_name: String,
}

#[derive(Object)]
struct TrackAdded {
    message: String,
    track_info: AddedTrackInfo,
}

#[derive(Object)]
struct TracksAdded {
    /// Tracks newly added (those already in the playlist are skipped).
    added_count: u32,
    /// Distinct tracks named in the request.
    total: u32,
}

#[derive(Object)]
pub(super) struct Message {
    pub message: String,
}

#[derive(Object)]
struct CoverUploaded {
    cover_url: String,
}

#[derive(Object)]
struct GeneratedPlaylist {
    id: Uuid,
    name: String,
    description: String,
    track_count: u32,
    /// The genre's name in the catalog.
    genre: String,
}

#[derive(ApiResponse)]
enum ListResponse {
    /// The page of playlists; `X-Total-Count` is the number across all pages.
    #[oai(status = 200)]
    Ok(
        Json<Vec<PlaylistSummary>>,
        #[oai(header = "X-Total-Count")] i64,
    ),
}

#[derive(ApiResponse)]
pub(super) enum PlaylistResponse {
    /// The playlist; `ETag` is its version, for `If-Match`.
    #[oai(status = 200)]
    Ok(Json<PlaylistDetail>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum CreateResponse {
    #[oai(status = 201)]
    Created(Json<CreatedPlaylist>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum UpdateResponse {
    #[oai(status = 200)]
    Ok(Json<UpdatedPlaylist>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum DeleteResponse {
    #[oai(status = 204)]
    Deleted,
}

#[derive(ApiResponse)]
enum AddTrackResponse {
    #[oai(status = 201)]
    Created(Json<TrackAdded>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum AddTracksResponse {
    #[oai(status = 200)]
    Ok(Json<TracksAdded>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum RemoveTrackResponse {
    #[oai(status = 200)]
    Ok(Json<Message>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum CoverResponse {
    #[oai(status = 200)]
    Ok(Json<CoverUploaded>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
enum GenerateResponse {
    #[oai(status = 201)]
    Created(Json<GeneratedPlaylist>, #[oai(header = "ETag")] String),
}

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

pub(super) fn parse_playlist_id(raw: &str) -> ApiResult<PlaylistId> {
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

/// Runs a command on the playlist as the caller.
pub(super) async fn execute(
    state: &AppState,
    auth: &BearerAuth,
    id: PlaylistId,
    if_match: Option<&str>,
    action: PlaylistAction,
) -> ApiResult<()> {
    let command = PlaylistCommand {
        actor: UserId::from_uuid(auth.user().id),
        expected_version: expected_version(if_match)?,
        action,
    };
    state
        .playlists
        .execute(&id.to_string(), command, auth.user().id)
        .await?;
    Ok(())
}

/// The playlist if the viewer may see it: another user's private playlist is a 404.
async fn visible(state: &AppState, id: PlaylistId, viewer: Uuid) -> ApiResult<PlaylistRow> {
    queries::playlist(&state.pool, id.uuid())
        .await?
        .filter(|row| row.visible_to(viewer))
        .ok_or_else(|| ApiError::not_found("no such playlist"))
}

/// Checks, before work such as catalog look-ups or storing an upload, what the command
/// would check again: the caller owns the playlist.
async fn owned(state: &AppState, id: PlaylistId, viewer: Uuid) -> ApiResult<PlaylistRow> {
    let row = visible(state, id, viewer).await?;
    if row.owner_id != viewer {
        return Err(ApiError::forbidden(PlaylistError::NotOwner.to_string()));
    }
    Ok(row)
}

/// The playlist with its tracks, as the read model has it now.
pub(super) async fn detail(
    state: &AppState,
    id: PlaylistId,
    viewer: Uuid,
) -> ApiResult<PlaylistResponse> {
    let (row, tracks) = queries::playlist_with_tracks(&state.pool, id.uuid())
        .await?
        .filter(|(row, _)| row.visible_to(viewer))
        .ok_or_else(|| ApiError::not_found("no such playlist"))?;
    let version = row.version;
    Ok(PlaylistResponse::Ok(
        Json(PlaylistDetail {
            tracks: tracks.into_iter().map(PlaylistTrack::from).collect(),
            id: row.id,
            name: row.name,
            description: row.description,
            cover_image: row.cover_key.as_deref().map(uploads::media_url),
            is_public: row.is_public,
            track_count: row.track_count.max(0) as u32,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }),
        etag(version),
    ))
}

impl From<PlaylistRow> for PlaylistSummary {
    fn from(row: PlaylistRow) -> Self {
        Self {
            id: row.id,
            cover_image: row.cover_key.as_deref().map(uploads::media_url),
            name: row.name,
            description: row.description,
            is_public: row.is_public,
            track_count: row.track_count.max(0) as u32,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl From<TrackRow> for PlaylistTrack {
    fn from(row: TrackRow) -> Self {
        Self {
            id: row.entry_id,
            track_id: row.track_id.to_string(),
            artist_id: row.artist_id.to_string(),
            track_title: row.title,
            artist_name: row.artist_name,
            album_title: row.album_title,
            album_cover: row.album_cover,
            duration: row.duration.max(0) as u32,
            position: row.position.max(0) as u32,
            added_at: row.added_at,
        }
    }
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
        let mine = me.0.unwrap_or(false);
        let (rows, total) =
            queries::list_playlists(&state.pool, auth.user().id, mine, page(limit.0, offset.0))
                .await?;
        let body = rows.into_iter().map(PlaylistSummary::from).collect();
        Ok(ListResponse::Ok(Json(body), total))
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
        execute(
            state,
            &auth,
            id,
            if_match.as_deref(),
            PlaylistAction::AddTrack { entry },
        )
        .await?;
        let row = visible(state, id, auth.user().id).await?;
        Ok(AddTrackResponse::Created(
            Json(TrackAdded {
                message: "Track added successfully".into(),
                track_info: info,
            }),
            etag(row.version),
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
        let entry_ids: Vec<Uuid> = entries.iter().map(|e| e.entry_id.uuid()).collect();
        let action = PlaylistAction::AddTracks { entries };
        execute(state, &auth, id, if_match.as_deref(), action).await?;
        let row = visible(state, id, auth.user().id).await?;
        // The aggregate skipped the tracks already there: the entries made for this
        // request that exist now are the ones it added.
        let added = queries::entries_present(&state.pool, id.uuid(), &entry_ids).await?;
        Ok(AddTracksResponse::Ok(
            Json(TracksAdded {
                added_count: added as u32,
                total: ids.len() as u32,
            }),
            etag(row.version),
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
        execute(state, &auth, id, if_match.as_deref(), action).await?;
        let row = visible(state, id, auth.user().id).await?;
        Ok(RemoveTrackResponse::Ok(
            Json(Message {
                message: "Track removed successfully".into(),
            }),
            etag(row.version),
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
        execute(state, &auth, id, if_match.as_deref(), action).await?;
        let row = visible(state, id, auth.user().id).await?;
        Ok(CoverResponse::Ok(
            Json(CoverUploaded {
                cover_url: uploads::media_url(&key),
            }),
            etag(row.version),
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
