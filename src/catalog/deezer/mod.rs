//! The live Deezer API as the catalog: every call goes through a per-kind cache (single
//! flight, stale-on-error) and a process-wide rate limiter.

mod cache;
mod limiter;
mod preview;
mod upstream;
mod wire;

use std::{collections::HashSet, sync::Arc, time::Duration};

use async_trait::async_trait;
use domain::CatalogId;
use serde_json::Value;

use self::{
    cache::{CachePolicy, KindCache},
    upstream::Upstream,
};
use super::{
    Album, Artist, Catalog, CatalogError, CatalogResult, Genre, GenreId, SearchResults, Track,
};

/// Deezer's largest page: lists are fetched whole once and sliced per request, so every
/// `limit` shares one cache entry.
const PAGE: &str = "100";

#[derive(Debug, Clone)]
pub struct DeezerConfig {
    pub base_url: String,
    /// Upstream requests allowed per `window`, for the whole process.
    pub requests_per_window: u32,
    pub window: Duration,
    /// Longest a request waits for its turn under the limit before it is refused (503).
    pub max_queue_wait: Duration,
    /// Time limit of each upstream request (connection, answer and body).
    pub timeout: Duration,
    /// Extra attempts when Deezer answers "quota exceeded" or "busy".
    pub retries: u32,
    /// Pause before the first retry; it doubles for each next one.
    pub backoff: Duration,
    pub ttl: Ttls,
}

/// How long each kind of answer is cached.
#[derive(Debug, Clone, Copy)]
pub struct Ttls {
    pub genres: Duration,
    pub charts: Duration,
    pub entities: Duration,
    pub search: Duration,
    /// "No data" answers.
    pub missing: Duration,
    /// How long a value may stand in for a failing upstream after it was fetched.
    pub stale_for: Duration,
    /// How long a stale value is served before the upstream is tried again.
    pub stale_retry: Duration,
}

impl DeezerConfig {
    /// Production defaults, within Deezer's published limit (50 requests per 5 s).
    pub fn new(base_url: impl Into<String>) -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            base_url: base_url.into(),
            requests_per_window: 50,
            window: Duration::from_secs(5),
            max_queue_wait: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            retries: 2,
            backoff: Duration::from_millis(250),
            ttl: Ttls {
                genres: 24 * 60 * MINUTE,
                charts: 60 * MINUTE,
                entities: 6 * 60 * MINUTE,
                search: 10 * MINUTE,
                missing: MINUTE,
                stale_for: 48 * 60 * MINUTE,
                stale_retry: MINUTE / 2,
            },
        }
    }
}

struct Caches {
    tracks: KindCache<Track>,
    artists: KindCache<Artist>,
    albums: KindCache<Album>,
    /// Album track lists, artist top tracks and artist radios.
    track_lists: KindCache<Vec<Track>>,
    artist_albums: KindCache<Vec<Album>>,
    genres: KindCache<Vec<Genre>>,
    genre: KindCache<Genre>,
    chart_tracks: KindCache<Vec<Track>>,
    /// Top albums and new releases.
    chart_albums: KindCache<Vec<Album>>,
    search: KindCache<SearchResults>,
}

impl Caches {
    fn new(ttl: &Ttls) -> Self {
        let policy = |ttl_of_kind: Duration, capacity: u64| CachePolicy {
            ttl: ttl_of_kind,
            missing_ttl: ttl.missing.min(ttl_of_kind),
            stale_for: ttl.stale_for,
            stale_retry: ttl.stale_retry,
            capacity,
        };
        Self {
            tracks: KindCache::new(policy(ttl.entities, 20_000)),
            artists: KindCache::new(policy(ttl.entities, 5_000)),
            albums: KindCache::new(policy(ttl.entities, 5_000)),
            track_lists: KindCache::new(policy(ttl.entities, 5_000)),
            artist_albums: KindCache::new(policy(ttl.entities, 2_000)),
            genres: KindCache::new(policy(ttl.genres, 10)),
            genre: KindCache::new(policy(ttl.genres, 500)),
            chart_tracks: KindCache::new(policy(ttl.charts, 500)),
            chart_albums: KindCache::new(policy(ttl.charts, 100)),
            search: KindCache::new(policy(ttl.search, 2_000)),
        }
    }
}

pub struct DeezerCatalog {
    upstream: Upstream,
    caches: Caches,
    /// For the preview CDN (the API goes through `upstream`, which shares its pool).
    http: reqwest::Client,
    timeout: Duration,
}

impl DeezerCatalog {
    pub fn new(config: DeezerConfig) -> Self {
        let http = http_client(&config);
        Self {
            upstream: Upstream::new(&config, http.clone()),
            caches: Caches::new(&config.ttl),
            http,
            timeout: config.timeout,
        }
    }

    /// Fetches a resource and parses it; `Ok(None)` when Deezer has no such data.
    async fn fetch<T>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        parse: impl FnOnce(Value) -> CatalogResult<T>,
    ) -> CatalogResult<Option<T>> {
        self.upstream.get(path, query).await?.map(parse).transpose()
    }

    async fn cached_track(&self, id: CatalogId, refresh: bool) -> CatalogResult<Arc<Track>> {
        let key = format!("track/{id}");
        let fetch = self.fetch(&key, &[], wire::track);
        let track = if refresh {
            self.caches.tracks.refresh(&key, fetch).await
        } else {
            self.caches.tracks.get(&key, fetch).await
        };
        found(track, "track", id.get())
    }

    /// A list of tracks at `path`; `Ok(None)` when Deezer has no data there.
    async fn track_list(
        &self,
        path: &str,
        album: Option<&super::AlbumRef>,
    ) -> CatalogResult<Option<Arc<Vec<Track>>>> {
        let fetch = self.fetch(path, &[("limit", PAGE)], |v| wire::tracks(v, album));
        self.caches.track_lists.get(path, fetch).await
    }

    async fn chart(&self, genre: GenreId) -> CatalogResult<Arc<Vec<Track>>> {
        let path = format!("chart/{genre}/tracks");
        let fetch = self.fetch(&path, &[("limit", PAGE)], |v| wire::tracks(v, None));
        found(
            self.caches.chart_tracks.get(&path, fetch).await,
            "genre",
            genre.get(),
        )
    }

    async fn album_chart(&self, path: &str) -> CatalogResult<Arc<Vec<Album>>> {
        let fetch = self.fetch(path, &[("limit", PAGE)], |v| wire::albums(v, None));
        Ok(self
            .caches
            .chart_albums
            .get(path, fetch)
            .await?
            .unwrap_or_default())
    }

    async fn search_kind<T>(
        &self,
        path: &str,
        query: &str,
        limit: &str,
        parse: impl FnOnce(Value) -> CatalogResult<Vec<T>>,
    ) -> CatalogResult<Vec<T>> {
        let found = self
            .fetch(path, &[("q", query), ("limit", limit)], parse)
            .await?;
        Ok(found.unwrap_or_default())
    }
}

/// A reqwest client for the API and the preview CDN. Request time limits are set per
/// request; the read timeout also stops a preview stream that stalls.
fn http_client(config: &DeezerConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(config.timeout)
        .read_timeout(config.timeout)
        .user_agent(concat!("PlayPod/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("the HTTP client builds (TLS provider installed at start-up)")
}

/// `Ok(None)` from the cache means Deezer has no such thing.
fn found<T>(
    answer: CatalogResult<Option<Arc<T>>>,
    kind: &'static str,
    id: u64,
) -> CatalogResult<Arc<T>> {
    answer?.ok_or_else(|| CatalogError::not_found(kind, id))
}

fn first<T: Clone>(items: &[T], limit: usize) -> Vec<T> {
    items.iter().take(limit).cloned().collect()
}

/// Search keys ignore case and spacing, so "Daft  punk" and "daft punk" share an entry.
fn normalise_query(query: &str) -> String {
    query
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[async_trait]
impl Catalog for DeezerCatalog {
    fn name(&self) -> &'static str {
        "deezer"
    }

    async fn track(&self, id: CatalogId) -> CatalogResult<Track> {
        Ok((*self.cached_track(id, false).await?).clone())
    }

    /// The track's artist radio (tracks of similar artists), then the artist's own top
    /// tracks when the radio is short.
    async fn related_tracks(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Track>> {
        let artist = self.cached_track(id, false).await?.artist.id;
        let (radio_path, top_path) = (
            format!("artist/{artist}/radio"),
            format!("artist/{artist}/top"),
        );
        let (radio, top) = tokio::try_join!(
            self.track_list(&radio_path, None),
            self.track_list(&top_path, None),
        )?;
        let mut seen = HashSet::from([id]);
        Ok(radio
            .iter()
            .chain(top.iter())
            .flat_map(|list| list.iter())
            .filter(|t| seen.insert(t.id))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn artist(&self, id: CatalogId) -> CatalogResult<Artist> {
        let key = format!("artist/{id}");
        let fetch = self.fetch(&key, &[], wire::artist);
        let artist = self.caches.artists.get(&key, fetch).await;
        Ok((*found(artist, "artist", id.get())?).clone())
    }

    async fn artist_albums(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Album>> {
        let artist = self.artist(id).await?.to_ref();
        let path = format!("artist/{id}/albums");
        let fetch = self.fetch(&path, &[("limit", PAGE)], |v| {
            wire::albums(v, Some(&artist))
        });
        let albums = self.caches.artist_albums.get(&path, fetch).await?;
        Ok(albums.map_or_else(Vec::new, |a| first(&a, limit)))
    }

    async fn artist_top_tracks(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Track>> {
        let top = self.track_list(&format!("artist/{id}/top"), None).await;
        Ok(first(&found(top, "artist", id.get())?, limit))
    }

    async fn album(&self, id: CatalogId) -> CatalogResult<Album> {
        let key = format!("album/{id}");
        let fetch = self.fetch(&key, &[], wire::album);
        let album = self.caches.albums.get(&key, fetch).await;
        Ok((*found(album, "album", id.get())?).clone())
    }

    /// Up to Deezer's page size (100 tracks).
    async fn album_tracks(&self, id: CatalogId) -> CatalogResult<Vec<Track>> {
        let album = self.album(id).await?.to_ref();
        let tracks = self
            .track_list(&format!("album/{id}/tracks"), Some(&album))
            .await;
        Ok((*found(tracks, "album", id.get())?).clone())
    }

    async fn search(&self, query: &str, limit: usize) -> CatalogResult<SearchResults> {
        let query = normalise_query(query);
        let key = format!("{limit}:{query}");
        let limit = limit.to_string();
        let fetch = async {
            let (tracks, artists, albums) = tokio::try_join!(
                self.search_kind("search", &query, &limit, |v| wire::tracks(v, None)),
                self.search_kind("search/artist", &query, &limit, wire::artists),
                self.search_kind("search/album", &query, &limit, |v| wire::albums(v, None)),
            )?;
            Ok(Some(SearchResults {
                tracks,
                artists,
                albums,
            }))
        };
        let results = self.caches.search.get(&key, fetch).await?;
        Ok(results.map(|r| (*r).clone()).unwrap_or_default())
    }

    async fn genres(&self) -> CatalogResult<Vec<Genre>> {
        let fetch = self.fetch("genre", &[], wire::genres);
        let genres = self.caches.genres.get("genre", fetch).await?;
        Ok(genres.map(|g| (*g).clone()).unwrap_or_default())
    }

    async fn genre(&self, id: GenreId) -> CatalogResult<Genre> {
        let key = format!("genre/{id}");
        let fetch = self.fetch(&key, &[], wire::genre);
        let genre = self.caches.genre.get(&key, fetch).await;
        Ok((*found(genre, "genre", id.get())?).clone())
    }

    async fn genre_top_tracks(&self, id: GenreId, limit: usize) -> CatalogResult<Vec<Track>> {
        Ok(first(&self.chart(id).await?, limit))
    }

    async fn chart_tracks(&self, limit: usize) -> CatalogResult<Vec<Track>> {
        self.genre_top_tracks(GenreId::ALL, limit).await
    }

    async fn chart_albums(&self, limit: usize) -> CatalogResult<Vec<Album>> {
        Ok(first(&self.album_chart("chart/0/albums").await?, limit))
    }

    /// Deezer's editorial selection of new releases, all genres.
    async fn new_releases(&self, limit: usize) -> CatalogResult<Vec<Album>> {
        Ok(first(
            &self.album_chart("editorial/0/releases").await?,
            limit,
        ))
    }
}
