//! Charts: top tracks overall and per genre, top albums and new releases.

use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{
    ApiTags,
    catalogue::{CatalogAlbum, CatalogGenre, CatalogTrack, bodies, limit_or},
    error::{ApiError, ApiResult},
    security::BearerAuth,
};
use crate::{catalog::GenreId, state::AppState};

/// The contract's default length of every chart.
const DEFAULT_LIMIT: usize = 20;

pub struct ChartsApi;

#[derive(Object)]
struct GenreChart {
    genre: CatalogGenre,
    tracks: Vec<CatalogTrack>,
}

#[derive(Object)]
struct ChartTrack {
    #[oai(flatten)]
    track: CatalogTrack,
    /// 1 for the top track.
    position: u32,
}

#[derive(Object)]
struct TopTracks {
    tracks: Vec<ChartTrack>,
}

#[derive(Object)]
struct ChartAlbum {
    #[oai(flatten)]
    album: CatalogAlbum,
    /// 1 for the top album.
    position: u32,
}

#[derive(Object)]
struct TopAlbums {
    albums: Vec<ChartAlbum>,
}

#[derive(Object)]
struct NewReleases {
    /// Newest first.
    albums: Vec<CatalogAlbum>,
}

#[derive(ApiResponse)]
enum GenreChartResponse {
    #[oai(status = 200)]
    Ok(Json<GenreChart>),
}

#[derive(ApiResponse)]
enum TopTracksResponse {
    #[oai(status = 200)]
    Ok(Json<TopTracks>),
}

#[derive(ApiResponse)]
enum TopAlbumsResponse {
    #[oai(status = 200)]
    Ok(Json<TopAlbums>),
}

#[derive(ApiResponse)]
enum NewReleasesResponse {
    #[oai(status = 200)]
    Ok(Json<NewReleases>),
}

/// Chart positions are the list order, counted from 1.
fn positions<T>(items: Vec<T>) -> impl Iterator<Item = (u32, T)> {
    (1..).zip(items)
}

#[OpenApi(tag = "ApiTags::Charts")]
impl ChartsApi {
    /// A genre's top tracks (genre 0 is "All").
    #[oai(
        path = "/api/charts/genre/:genre_id/",
        method = "get",
        operation_id = "get_genre_chart"
    )]
    async fn genre(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
        /// The genre's Deezer id, 0 or more.
        genre_id: Path<String>,
        /// Tracks to return, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<GenreChartResponse> {
        let id: GenreId = genre_id
            .parse()
            .map_err(|e: crate::catalog::GenreIdError| {
                ApiError::validation("genre_id", e.to_string())
            })?;
        let limit = limit_or(limit.0, DEFAULT_LIMIT);
        let (genre, tracks) = tokio::try_join!(
            state.catalog.genre(id),
            state.catalog.genre_top_tracks(id, limit)
        )?;
        Ok(GenreChartResponse::Ok(Json(GenreChart {
            genre: genre.into(),
            tracks: bodies(tracks),
        })))
    }

    /// The top tracks across all genres.
    #[oai(
        path = "/api/charts/top/",
        method = "get",
        operation_id = "get_top_chart"
    )]
    async fn top(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
        /// Tracks to return, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<TopTracksResponse> {
        let tracks = state
            .catalog
            .chart_tracks(limit_or(limit.0, DEFAULT_LIMIT))
            .await?;
        let tracks = positions(tracks)
            .map(|(position, t)| ChartTrack {
                track: t.into(),
                position,
            })
            .collect();
        Ok(TopTracksResponse::Ok(Json(TopTracks { tracks })))
    }

    /// Newly released albums.
    #[oai(
        path = "/api/charts/new-releases/",
        method = "get",
        operation_id = "get_new_releases"
    )]
    async fn new_releases(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
        /// Albums to return, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<NewReleasesResponse> {
        let albums = state
            .catalog
            .new_releases(limit_or(limit.0, DEFAULT_LIMIT))
            .await?;
        Ok(NewReleasesResponse::Ok(Json(NewReleases {
            albums: bodies(albums),
        })))
    }

    /// The top albums across all genres.
    #[oai(
        path = "/api/charts/top-albums/",
        method = "get",
        operation_id = "get_top_albums"
    )]
    async fn top_albums(
        &self,
        Data(state): Data<&AppState>,
        _auth: BearerAuth,
        /// Albums to return, 1 to 100 (default 20).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<TopAlbumsResponse> {
        let albums = state
            .catalog
            .chart_albums(limit_or(limit.0, DEFAULT_LIMIT))
            .await?;
        let albums = positions(albums)
            .map(|(position, a)| ChartAlbum {
                album: a.into(),
                position,
            })
            .collect();
        Ok(TopAlbumsResponse::Ok(Json(TopAlbums { albums })))
    }
}
