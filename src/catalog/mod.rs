//! The music catalog port. Two adapters implement it: `deezer` (the public API through a
//! cache) and `bundled` (an offline catalog shipped with PlayPod, the default).

pub mod bundled;
pub mod deezer;
pub mod model;
pub mod preview;

use std::sync::Arc;

use async_trait::async_trait;
use domain::{CatalogId, TrackSnapshot};

pub use model::{
    Album, AlbumRef, Artist, ArtistRef, Genre, GenreId, GenreIdError, SearchResults, Track,
};
pub use preview::PreviewSource;

use crate::config::Settings;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogError {
    /// `id` is a plain integer because genre ids (which may be 0) are not `CatalogId`s.
    #[error("no {kind} with id {id} in the catalog")]
    NotFound { kind: &'static str, id: u64 },
    #[error("the catalog is unavailable; retry in {retry_after_secs} s")]
    Unavailable { retry_after_secs: u64 },
    #[error("the catalog answered with an error: {0}")]
    Upstream(String),
}

impl CatalogError {
    pub fn not_found(kind: &'static str, id: u64) -> Self {
        Self::NotFound { kind, id }
    }
}

pub type CatalogResult<T> = Result<T, CatalogError>;

/// Everything PlayPod asks of a music catalog. Ids are Deezer's; limits are already
/// validated by the caller (1..=100). Lists come in the catalog's order (charts: by
/// position).
#[async_trait]
pub trait Catalog: Send + Sync {
    /// A short name for logs: "deezer" or "bundled".
    fn name(&self) -> &'static str;
    async fn track(&self, id: CatalogId) -> CatalogResult<Track>;
    /// Tracks similar to this one (never the track itself).
    async fn related_tracks(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Track>>;
    async fn artist(&self, id: CatalogId) -> CatalogResult<Artist>;
    async fn artist_albums(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Album>>;
    async fn artist_top_tracks(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Track>>;
    async fn album(&self, id: CatalogId) -> CatalogResult<Album>;
    async fn album_tracks(&self, id: CatalogId) -> CatalogResult<Vec<Track>>;
    /// Up to `limit` tracks, artists and albums each.
    async fn search(&self, query: &str, limit: usize) -> CatalogResult<SearchResults>;
    async fn genres(&self) -> CatalogResult<Vec<Genre>>;
    async fn genre(&self, id: GenreId) -> CatalogResult<Genre>;
    /// The genre's chart; `GenreId::ALL` is the overall chart.
    async fn genre_top_tracks(&self, id: GenreId, limit: usize) -> CatalogResult<Vec<Track>>;
    async fn chart_tracks(&self, limit: usize) -> CatalogResult<Vec<Track>>;
    async fn chart_albums(&self, limit: usize) -> CatalogResult<Vec<Album>>;
    async fn new_releases(&self, limit: usize) -> CatalogResult<Vec<Album>>;
}

impl Track {
    /// The metadata a command stores in its event.
    pub fn snapshot(&self) -> TrackSnapshot {
        TrackSnapshot {
            track_id: self.id,
            title: self.title.clone(),
            artist_id: self.artist.id,
            artist_name: self.artist.name.clone(),
            album_id: Some(self.album.id),
            album_title: self.album.title.clone(),
            album_cover: self.album.cover_medium.clone(),
            duration: self.duration,
        }
    }
}

/// The catalog the settings ask for: Deezer when `DEEZER_BASE_URL` is set, otherwise the
/// bundled offline catalog; the one adapter serves both ports.
pub fn from_settings(settings: &Settings) -> (Arc<dyn Catalog>, Arc<dyn PreviewSource>) {
    match &settings.deezer_base_url {
        Some(base_url) => ports(deezer::DeezerCatalog::new(deezer::DeezerConfig {
            requests_per_window: settings.deezer_requests_per_window,
            timeout: settings.deezer_timeout,
            ..deezer::DeezerConfig::new(base_url.clone())
        })),
        None => ports(bundled::BundledCatalog::load()),
    }
}

fn ports<C: Catalog + PreviewSource + 'static>(
    adapter: C,
) -> (Arc<dyn Catalog>, Arc<dyn PreviewSource>) {
    let adapter = Arc::new(adapter);
    (adapter.clone(), adapter)
}
