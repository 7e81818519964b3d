//! The HTTP layer: one poem-openapi impl per resource, shared error and security types.

pub mod accounts;
pub mod allowed_methods;
pub mod catalogue;
pub mod charts;
pub mod error;
pub mod events;
pub mod favorites;
pub mod health;
pub mod ids;
pub mod kept_json;
pub mod middleware;
pub mod playlist_history;
pub mod playlists;
pub mod queue;
pub mod recommendations;
pub mod security;
pub mod serde_json_body;
pub mod stream;
pub mod uploads;
pub mod view_cache;

use poem::{
    Endpoint, EndpointExt, IntoResponse, Route, get,
    http::Method,
    middleware::{Cors, NormalizePath, TrailingSlash},
};
use poem_openapi::{OpenApiService, Tags};

use crate::state::AppState;

#[derive(Tags)]
pub enum ApiTags {
    /// Registration, tokens and profiles.
    Accounts,
    /// Liveness and readiness.
    Health,
    /// Search, artists, albums, tracks, genres and previews from the music catalog.
    Catalogue,
    /// Top tracks, top albums and new releases.
    Charts,
    /// The play queue, radio mode and the listening history.
    Queue,
    /// The event store in global order, for analysts.
    Events,
    /// Playlists, their tracks and covers; only the owner changes a playlist.
    Playlists,
    /// Audit history of playlists, time travel and restore.
    PlaylistHistory,
    /// The caller's favorite tracks.
    Favorites,
    /// Personal recommendations: tracks and daily playlists from the caller's taste.
    Recommendations,
}

const DESCRIPTION: &str = include_str!("openapi_description.md");

type Apis = (
    accounts::AccountsApi,
    health::HealthApi,
    catalogue::CatalogueApi,
    stream::StreamApi,
    charts::ChartsApi,
    queue::QueueApi,
    events::EventsApi,
    playlists::PlaylistsApi,
    playlist_history::PlaylistHistoryApi,
    favorites::FavoritesApi,
    recommendations::RecommendationsApi,
);

pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            accounts::AccountsApi,
            health::HealthApi,
            catalogue::CatalogueApi,
            stream::StreamApi,
            charts::ChartsApi,
            queue::QueueApi,
            events::EventsApi,
            playlists::PlaylistsApi,
            playlist_history::PlaylistHistoryApi,
            favorites::FavoritesApi,
            recommendations::RecommendationsApi,
        ),
        "PlayPod",
        env!("CARGO_PKG_VERSION"),
    )
    .description(DESCRIPTION)
}

/// The OpenAPI document as served and as checked in at `openapi/openapi.json`.
pub fn spec_document() -> String {
    openapi_service().spec()
}

pub fn routes(state: AppState) -> impl Endpoint {
    let service = openapi_service();
    let spec = service.spec_endpoint();
    let ui = service.swagger_ui();
    let settings = state.settings.clone();
    let cors = settings
        .cors_origins
        .iter()
        .fold(Cors::new(), |cors, origin| {
            cors.allow_origin(origin.as_str())
        })
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(["authorization", "content-type", "if-match", "x-request-id"])
        .expose_headers(["x-request-id", "etag", "retry-after"]);
    let allowed_hosts = settings.allowed_hosts.clone();
    let allowed = std::sync::Arc::new(allowed_methods::AllowedMethods::from_spec(&service.spec()));
    Route::new()
        .nest("/", service)
        .at("/api/openapi.json", spec)
        .nest("/api/docs", ui)
        .at("/media/:folder/:file", get(uploads::serve_media))
        .with(NormalizePath::new(TrailingSlash::Trim))
        .with(middleware::BodyLimit(settings.max_upload_bytes + 64 * 1024))
        .with_if(!settings.cors_origins.is_empty(), cors)
        .around(move |next, req| {
            let allowed_hosts = allowed_hosts.clone();
            async move {
                if let Some(hosts) = &allowed_hosts
                    && !middleware::host_allowed(hosts, req.header("host"))
                {
                    return Err(error::ApiError::bad_request("this Host is not allowed").into());
                }
                next.call(req).await
            }
        })
        .around(move |next, req| {
            let allowed = allowed.clone();
            async move {
                let path = req.uri().path().to_owned();
                let mut resp = match next.call(req).await {
                    Ok(resp) => resp.into_response(),
                    Err(err) => error::render_any_error(err).await,
                };
                if resp.status() == poem::http::StatusCode::METHOD_NOT_ALLOWED
                    && let Some(allow) = allowed.for_path(&path)
                    && let Ok(value) = poem::http::HeaderValue::from_str(allow)
                {
                    resp.headers_mut().insert(poem::http::header::ALLOW, value);
                }
                Ok(resp)
            }
        })
        .around(middleware::trace_request)
        .data(state)
        .catch_all_error(error::render_any_error)
}
