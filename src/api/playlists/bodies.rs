//! The playlists API's request and response bodies, named and shaped as in the contract.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Multipart, Object, payload::Json, types::multipart::Upload};
use serde::Serialize;
use uuid::Uuid;

use super::TrackIdInput;
use crate::{
    api::{
        kept_json::{Items, KeptJson, PlaylistItem, members},
        serde_json_body::{SerdeJson, rfc3339},
        uploads,
        view_cache::{TrackMembers, ViewCache},
    },
    playlists::queries::{PlaylistRow, TrackRow},
};

#[derive(Object)]
pub(crate) struct CreatePlaylistRequest {
    /// 1 to 100 characters (trimmed).
    pub name: String,
    /// At most 1000 characters (default empty).
    #[oai(default)]
    pub description: String,
    /// Default false: a new playlist is private until made public.
    #[oai(default)]
    pub is_public: bool,
}

#[derive(Object)]
pub(crate) struct UpdatePlaylistRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_public: Option<bool>,
}

#[derive(Object)]
pub(crate) struct AddTrackRequest {
    pub track_id: TrackIdInput,
}

#[derive(Object)]
pub(crate) struct AddTracksRequest {
    /// 1 to 100 catalog track ids.
    pub tracks: Vec<TrackIdInput>,
}

#[derive(Object)]
pub(crate) struct MoveTrackRequest {
    pub track_id: TrackIdInput,
    /// The new position, from 0.
    pub position: u32,
}

#[derive(Object)]
pub(crate) struct GenerateRequest {
    /// The genre's name (e.g. "Rock"), used when `genre_id` is absent.
    pub genre: String,
    /// The genre's catalog id; takes precedence over `genre`.
    pub genre_id: Option<u64>,
    /// Default: "<genre> Mix".
    pub name: Option<String>,
}

#[derive(Multipart)]
pub(crate) struct CoverUpload {
    /// PNG, JPEG, WebP or GIF (judged by content), at most 5 MB.
    pub cover_image: Upload,
}

#[derive(Object, Serialize)]
pub(crate) struct PlaylistSummary {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// URL of the cover image, or null.
    #[oai(nullable)]
    pub cover_image: Option<String>,
    pub is_public: bool,
    pub track_count: u32,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

#[derive(Object, Serialize)]
pub(crate) struct PlaylistTrack {
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
    #[serde(serialize_with = "rfc3339")]
    pub added_at: DateTime<Utc>,
}

#[derive(Object, Serialize)]
pub(crate) struct PlaylistDetail {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    #[oai(nullable)]
    pub cover_image: Option<String>,
    pub is_public: bool,
    pub track_count: u32,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
    pub tracks: Vec<PlaylistTrack>,
}

#[derive(Object)]
pub(crate) struct CreatedPlaylist {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub is_public: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Object)]
pub(crate) struct UpdatedPlaylist {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub is_public: bool,
    pub updated_at: DateTime<Utc>,
}

#[derive(Object)]
pub(crate) struct AddedTrackInfo {
    /// The new entry's id.
    pub id: Uuid,
    pub track_id: String,
    pub track_title: String,
    pub artist_name: String,
}

#[derive(Object)]
pub(crate) struct TrackAdded {
    pub message: String,
    pub track_info: AddedTrackInfo,
}

#[derive(Object)]
pub(crate) struct TracksAdded {
    /// Tracks newly added (those already in the playlist are skipped).
    pub added_count: u32,
    /// Distinct tracks named in the request.
    pub total: u32,
}

#[derive(Object)]
pub(crate) struct Message {
    pub message: String,
}

#[derive(Object)]
pub(crate) struct CoverUploaded {
    pub cover_url: String,
}

#[derive(Object)]
pub(crate) struct GeneratedPlaylist {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub track_count: u32,
    /// The genre's name in the catalog.
    pub genre: String,
}

#[derive(ApiResponse)]
pub(crate) enum ListResponse {
    /// The page of playlists; `X-Total-Count` is the number across all pages.
    #[oai(status = 200)]
    Ok(
        SerdeJson<Vec<PlaylistSummary>>,
        #[oai(header = "X-Total-Count")] i64,
    ),
}

#[derive(ApiResponse)]
pub(crate) enum PlaylistResponse {
    /// The playlist; `ETag` is its version, for `If-Match`.
    #[oai(status = 200)]
    Ok(SerdeJson<PlaylistDetail>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub(crate) enum CreateResponse {
    #[oai(status = 201)]
    Created(Json<CreatedPlaylist>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub(crate) enum UpdateResponse {
    #[oai(status = 200)]
    Ok(Json<UpdatedPlaylist>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub(crate) enum DeleteResponse {
    #[oai(status = 204)]
    Deleted,
}

#[derive(ApiResponse)]
pub(crate) enum AddTrackResponse {
    #[oai(status = 201)]
    Created(Json<TrackAdded>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub(crate) enum AddTracksResponse {
    #[oai(status = 200)]
    Ok(Json<TracksAdded>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub(crate) enum RemoveTrackResponse {
    #[oai(status = 200)]
    Ok(Json<Message>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub(crate) enum CoverResponse {
    #[oai(status = 200)]
    Ok(Json<CoverUploaded>, #[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub(crate) enum GenerateResponse {
    #[oai(status = 201)]
    Created(Json<GeneratedPlaylist>, #[oai(header = "ETag")] String),
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

/// A page of [`PlaylistSummary`]s, each shared with the other pages that list it.
pub(crate) fn list_json(rows: Vec<PlaylistRow>, views: &ViewCache) -> KeptJson {
    let items = rows
        .into_iter()
        .map(|row| views.shared(&PlaylistSummary::from(row)));
    KeptJson::array(Items::Shared(items.collect()))
}

/// A [`PlaylistDetail`]: the summary's members (the detail has the same ones) and the
/// tracks, each track's metadata shared.
pub(crate) fn detail_json(row: PlaylistRow, tracks: &[TrackRow], views: &ViewCache) -> KeptJson {
    let items = tracks.iter().map(|t| PlaylistItem {
        id: t.entry_id,
        position: t.position.max(0),
        added_at: t.added_at,
        track: views.track(&TrackMembers {
            track_id: t.track_id.to_string(),
            track_title: &t.title,
            artist_id: t.artist_id.to_string(),
            artist_name: &t.artist_name,
            album_title: &t.album_title,
            album_cover: &t.album_cover,
            duration: t.duration.max(0).into(),
        }),
    });
    let head = format!("{{{},\"tracks\":", members(&PlaylistSummary::from(row)));
    KeptJson::new(head, Items::PlaylistTracks(items.collect()), "}")
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::api::serde_json_body::assert_same_json;

    fn time() -> DateTime<Utc> {
        Utc.timestamp_opt(1_796_000_000, 123_456_789).unwrap()
    }

    fn track(position: u32) -> PlaylistTrack {
        PlaylistTrack {
            id: Uuid::now_v7(),
            track_id: "3135553".into(),
            artist_id: "27".into(),
            track_title: "One More Time \"live\" 🎵".into(),
            artist_name: "Daft Punk".into(),
            album_title: "Discovery".into(),
            album_cover: String::new(),
            duration: 320,
            position,
            added_at: time(),
        }
    }

    #[test]
    fn detail_and_summary_are_written_as_documented() {
        for cover_image in [None, Some("/media/covers/a.png".to_owned())] {
            assert_same_json(&PlaylistDetail {
                id: Uuid::now_v7(),
                name: "Road trip".into(),
                description: "<b>loud</b>".into(),
                cover_image: cover_image.clone(),
                is_public: true,
                track_count: 2,
                created_at: time(),
                updated_at: Utc::now(),
                tracks: vec![track(0), track(1)],
            });
            assert_same_json(&vec![PlaylistSummary {
                id: Uuid::now_v7(),
                name: "Road trip".into(),
                description: String::new(),
                cover_image,
                is_public: false,
                track_count: 0,
                created_at: time(),
                updated_at: Utc::now(),
            }]);
        }
    }

    fn row(cover_key: Option<&str>) -> PlaylistRow {
        PlaylistRow {
            id: Uuid::now_v7(),
            owner_id: Uuid::now_v7(),
            name: "Road \"trip\"".into(),
            description: "<b>loud</b>\n".into(),
            is_public: true,
            cover_key: cover_key.map(str::to_owned),
            track_count: 2,
            version: 3,
            created_at: time(),
            updated_at: Utc::now(),
        }
    }

    fn track_row(position: i32) -> TrackRow {
        TrackRow {
            entry_id: Uuid::now_v7(),
            track_id: 3135553,
            position,
            title: "One More Time \"live\" 🎵".into(),
            artist_id: 27,
            artist_name: "Daft Punk \\".into(),
            album_title: "Discovery".into(),
            album_cover: String::new(),
            duration: 320,
            added_at: time(),
        }
    }

    fn rendered(json: KeptJson) -> serde_json::Value {
        serde_json::from_slice(&json.render()).expect("rendered answers are JSON")
    }

    #[test]
    fn kept_playlists_and_lists_are_the_documented_json() {
        let views = ViewCache::default();
        for cover_key in [None, Some("covers/a.png")] {
            for tracks in [vec![], vec![track_row(0), track_row(1)]] {
                let row = row(cover_key);
                let summary = PlaylistSummary::from(row.clone());
                let typed = PlaylistDetail {
                    id: summary.id,
                    name: summary.name,
                    description: summary.description,
                    cover_image: summary.cover_image,
                    is_public: summary.is_public,
                    track_count: summary.track_count,
                    created_at: summary.created_at,
                    updated_at: summary.updated_at,
                    tracks: tracks.iter().cloned().map(PlaylistTrack::from).collect(),
                };
                assert_eq!(
                    rendered(detail_json(row, &tracks, &views)),
                    serde_json::to_value(typed).unwrap()
                );
            }
            let rows = vec![row(cover_key), row(None)];
            let typed: Vec<PlaylistSummary> =
                rows.iter().cloned().map(PlaylistSummary::from).collect();
            assert_eq!(
                rendered(list_json(rows, &views)),
                serde_json::to_value(typed).unwrap()
            );
        }
    }
}
