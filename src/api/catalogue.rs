//! The catalogue: search, artists, albums, tracks and genres, answered by the catalog
//! adapter (Deezer or the bundled catalog). Response shapes follow the contract; track,
//! artist and album ids are sent as strings, genre ids as integers.

use domain::CatalogId;
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    security::BearerAuth,
};
use crate::{catalog, state::AppState};

/// How many albums and top tracks the artist page shows, and how many related tracks
/// the track page shows (the contract has no parameter for them).
const ARTIST_ALBUMS: usize = 50;
const ARTIST_TOP_TRACKS: usize = 10;
const RELATED_TRACKS: usize = 10;
/// Longer queries are refused rather than sent upstream.
const MAX_QUERY_CHARS: usize = 200;

pub struct CatalogueApi;

/// An artist as a track or an album names it.
#[derive(Object)]
pub(super) struct CatalogArtistRef {
    id: String,
    name: String,
}

/// An album as a track names it.
#[derive(Object)]
pub(super) struct CatalogAlbumRef {
    id: String,
    title: String,
    cover_medium: String,
}

#[derive(Object)]
pub(super) struct CatalogTrack {
    id: String,
    title: String,
    /// Seconds.
    duration: u32,
    /// The 30-second preview: a CDN URL that may expire (Deezer), or this server's stream
    /// path (bundled catalog). Either way `GET /api/catalogue/stream/{id}/` plays it.
    preview: String,
    /// Position on its album, when known.
    #[oai(nullable)]
    track_position: Option<u32>,
    artist: CatalogArtistRef,
    album: CatalogAlbumRef,
}

#[derive(Object)]
pub(super) struct CatalogArtist {
    id: String,
    name: String,
    #[oai(nullable)]
    picture_medium: Option<String>,
    #[oai(nullable)]
    picture_xl: Option<String>,
    nb_album: u32,
    nb_fan: u64,
}

#[derive(Object)]
pub(super) struct CatalogAlbum {
    id: String,
    title: String,
    cover_medium: String,
    cover_xl: String,
    /// `YYYY-MM-DD`, when known.
    #[oai(nullable)]
    release_date: Option<String>,
    artist: CatalogArtistRef,
    #[oai(nullable)]
    genre_id: Option<u64>,
}

#[derive(Object)]
pub(super) struct CatalogGenre {
    /// 0 is "All".
    id: u64,
    name: String,
    #[oai(nullable)]
    picture_medium: Option<String>,
}

#[derive(Object)]
struct SearchResults {
    tracks: Vec<CatalogTrack>,
    artists: Vec<CatalogArtist>,
    albums: Vec<CatalogAlbum>,
}

#[derive(Object)]
struct ArtistDetail {
    artist: CatalogArtist,
    /// Newest first.
    albums: Vec<CatalogAlbum>,
    top_tracks: Vec<CatalogTrack>,
}

#[derive(Object)]
struct AlbumDetail {
    album: CatalogAlbum,
    /// In album order.
    tracks: Vec<CatalogTrack>,
}

#[derive(Object)]
struct TrackDetail {
    track: CatalogTrack,
    related_tracks: Vec<CatalogTrack>,
}

#[derive(ApiResponse)]
enum SearchResponse {
    #[oai(status = 200)]
    Ok(Json<SearchResults>),
}

#[derive(ApiResponse)]
enum ArtistResponse {
    #[oai(status = 200)]
    Ok(Json<ArtistDetail>),
}

#[derive(ApiResponse)]
enum AlbumResponse {
    #[oai(status = 200)]
    Ok(Json<AlbumDetail>),
}

#[derive(ApiResponse)]
enum TrackResponse {
    #[oai(status = 200)]
    Ok(Json<TrackDetail>),
}

#[derive(ApiResponse)]
enum GenresResponse {
    #[oai(status = 200)]
    Ok(Json<Vec<CatalogGenre>>),
}

impl From<catalog::ArtistRef> for CatalogArtistRef {
    fn from(a: catalog::ArtistRef) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name,
        }
    }
}

impl From<catalog::AlbumRef> for CatalogAlbumRef {
    fn from(a: catalog::AlbumRef) -> Self {
        Self {
            id: a.id.to_string(),
            title: a.title,
            cover_medium: a.cover_medium,
        }
    }
}

impl From<catalog::Track> for CatalogTrack {
    fn from(t: catalog::Track) -> Self {
        Self {
            id: t.id.to_string(),
            title: t.title,
            duration: t.duration,
            preview: t.preview,
            track_position: t.track_position,
            artist: t.artist.into(),
            album: t.album.into(),
        }
    }
}

impl From<catalog::Artist> for CatalogArtist {
    fn from(a: catalog::Artist) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name,
            picture_medium: a.picture_medium,
            picture_xl: a.picture_xl,
            nb_album: a.nb_album,
            nb_fan: a.nb_fan,
        }
    }
}

impl From<catalog::Album> for CatalogAlbum {
    fn from(a: catalog::Album) -> Self {
        Self {
            id: a.id.to_string(),
            title: a.title,
            cover_medium: a.cover_medium,
            cover_xl: a.cover_xl,
            release_date: a.release_date,
            artist: a.artist.into(),
            genre_id: a.genre_id.map(catalog::GenreId::get),
        }
    }
}

impl From<catalog::Genre> for CatalogGenre {
    fn from(g: catalog::Genre) -> Self {
        Self {
            id: g.id.get(),
            name: g.name,
            picture_medium: g.picture_medium,
        }
    }
}

/// Converts a list of catalog entities into response bodies.
pub(super) fn bodies<T, B: From<T>>(items: Vec<T>) -> Vec<B> {
    items.into_iter().map(B::from).collect()
}

/// The limit a list endpoint was given (already range-checked by its validator).
pub(super) fn limit_or(limit: Option<u32>, default: usize) -> usize {
    limit.map_or(default, |l| l as usize)
}

fn catalog_id(raw: &str) -> ApiResult<CatalogId> {
    Ok(raw.parse()?)
}

#[OpenApi(tag = "ApiTags::Catalogue")]
impl CatalogueApi {
    /// Search tracks, artists and albums.
    ///
    /// Every word of `q` must match; up to `limit` results per kind (default 10).
    #[oai(
        path = "/api/catalogue/search/",
        method = "get",
        operation_id = "search_catalogue"
    )]
    async fn search(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
        /// The search text (1 to 200 characters).
        q: Query<String>,
        /// Results per kind, 1 to 100.
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<SearchResponse> {
        let query = q.trim();
        if query.is_empty() {
            return Err(ApiError::validation("q", "q must not be empty"));
        }
        if query.chars().count() > MAX_QUERY_CHARS {
            return Err(ApiError::validation(
                "q",
                format!("q may be at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let found = state.catalog.search(query, limit_or(limit.0, 10)).await?;
        Ok(SearchResponse::Ok(Json(SearchResults {
            tracks: bodies(found.tracks),
            artists: bodies(found.artists),
            albums: bodies(found.albums),
        })))
    }

    /// An artist with their albums (newest first) and top tracks.
    #[oai(
        path = "/api/catalogue/artists/:id/",
        method = "get",
        operation_id = "get_artist"
    )]
    async fn artist(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
        /// The artist's catalog (Deezer) id.
        id: Path<String>,
    ) -> ApiResult<ArtistResponse> {
        let id = catalog_id(&id)?;
        let catalog = &state.catalog;
        let (artist, albums, top_tracks) = tokio::try_join!(
            catalog.artist(id),
            catalog.artist_albums(id, ARTIST_ALBUMS),
            catalog.artist_top_tracks(id, ARTIST_TOP_TRACKS),
        )?;
        Ok(ArtistResponse::Ok(Json(ArtistDetail {
            artist: artist.into(),
            albums: bodies(albums),
            top_tracks: bodies(top_tracks),
        })))
    }

    /// An album with its tracks.
    #[oai(
        path = "/api/catalogue/albums/:id/",
        method = "get",
        operation_id = "get_album"
    )]
    async fn album(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
        /// The album's catalog (Deezer) id.
        id: Path<String>,
    ) -> ApiResult<AlbumResponse> {
        let id = catalog_id(&id)?;
        let (album, tracks) =
            tokio::try_join!(state.catalog.album(id), state.catalog.album_tracks(id))?;
        Ok(AlbumResponse::Ok(Json(AlbumDetail {
            album: album.into(),
            tracks: bodies(tracks),
        })))
    }

    /// A track with related tracks.
    #[oai(
        path = "/api/catalogue/tracks/:id/",
        method = "get",
        operation_id = "get_track"
    )]
    async fn track(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
        /// The track's catalog (Deezer) id.
        id: Path<String>,
    ) -> ApiResult<TrackResponse> {
        let id = catalog_id(&id)?;
        let (track, related) = tokio::try_join!(
            state.catalog.track(id),
            state.catalog.related_tracks(id, RELATED_TRACKS)
        )?;
        Ok(TrackResponse::Ok(Json(TrackDetail {
            track: track.into(),
            related_tracks: bodies(related),
        })))
    }

    /// All genres (id 0 is "All").
    #[oai(
        path = "/api/catalogue/genres/",
        method = "get",
        operation_id = "list_genres"
    )]
    async fn genres(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
    ) -> ApiResult<GenresResponse> {
        let genres = state.catalog.genres().await?;
        Ok(GenresResponse::Ok(Json(bodies(genres))))
    }
}
