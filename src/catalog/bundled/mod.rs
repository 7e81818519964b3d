//! The offline catalog shipped inside the binary: every track, artist, album and genre
//! found in recorded Deezer responses (see `data/catalog/NOTICE`). Lookups are in
//! memory; top lists extend the recorded charts with the most popular entries.

mod data;
#[cfg(test)]
mod generate;
mod tone;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use domain::CatalogId;

use self::data::CatalogData;
use super::{
    Album, Artist, Catalog, CatalogError, CatalogResult, Genre, GenreId, SearchResults, Track,
    preview::{ByteRange, ContentRange, PreviewAudio, PreviewError, PreviewFailure, PreviewSource},
};

pub struct BundledCatalog {
    genres: Vec<Genre>,
    artists: HashMap<CatalogId, Artist>,
    albums: HashMap<CatalogId, Album>,
    tracks: HashMap<CatalogId, Track>,
    /// Every track, most popular first.
    tracks_by_rank: Vec<CatalogId>,
    /// Every album, most popular first.
    albums_by_fans: Vec<CatalogId>,
    /// Albums with a release date, newest first.
    albums_by_date: Vec<CatalogId>,
    /// Artists, most popular first.
    artists_by_fans: Vec<CatalogId>,
    album_tracks: HashMap<CatalogId, Vec<CatalogId>>,
    artist_albums: HashMap<CatalogId, Vec<CatalogId>>,
    charts: HashMap<GenreId, (Vec<CatalogId>, Vec<CatalogId>)>,
}

/// Where the bundled catalog's generated previews are served (see `api::stream`).
pub fn preview_path(id: CatalogId) -> String {
    format!("/api/catalogue/stream/{id}/")
}

impl BundledCatalog {
    /// Decodes the catalog compiled into the binary.
    pub fn load() -> Self {
        Self::from_data(CatalogData::embedded())
    }

    fn from_data(data: CatalogData) -> Self {
        let artists: HashMap<CatalogId, Artist> =
            data.artists.into_iter().map(|a| (a.id, a)).collect();
        let artist_ref = |id: CatalogId| artists[&id].to_ref();
        let albums: HashMap<CatalogId, Album> = data
            .albums
            .iter()
            .map(|a| {
                let album = Album {
                    id: a.id,
                    title: a.title.clone(),
                    cover_medium: a.cover_medium.clone(),
                    cover_xl: a.cover_xl.clone(),
                    release_date: a.release_date.clone(),
                    artist: artist_ref(a.artist_id),
                    genre_id: a.genre_id,
                };
                (a.id, album)
            })
            .collect();
        let tracks: HashMap<CatalogId, Track> = data
            .tracks
            .iter()
            .map(|t| {
                let track = Track {
                    id: t.id,
                    title: t.title.clone(),
                    duration: t.duration,
                    preview: preview_path(t.id),
                    track_position: t.track_position,
                    artist: artist_ref(t.artist_id),
                    album: albums[&t.album_id].to_ref(),
                };
                (t.id, track)
            })
            .collect();

        let mut by_rank: Vec<_> = data.tracks.iter().map(|t| (t.rank, t.id)).collect();
        by_rank.sort_by(|a, b| b.cmp(a));
        let tracks_by_rank: Vec<CatalogId> = by_rank.into_iter().map(|(_, id)| id).collect();
        let mut by_fans: Vec<_> = data.albums.iter().map(|a| (a.fans, a.id)).collect();
        by_fans.sort_by(|a, b| b.cmp(a));
        let mut by_date: Vec<_> = data
            .albums
            .iter()
            .filter_map(|a| a.release_date.clone().map(|d| (d, a.id)))
            .collect();
        by_date.sort_by(|a, b| b.cmp(a));
        let mut artists_by_fans: Vec<_> = artists.values().map(|a| (a.nb_fan, a.id)).collect();
        artists_by_fans.sort_by(|a, b| b.cmp(a));

        let mut album_tracks: HashMap<CatalogId, Vec<CatalogId>> = HashMap::new();
        let mut in_album_order: Vec<_> = data.tracks.iter().collect();
        in_album_order.sort_by_key(|t| (t.track_position.unwrap_or(u32::MAX), t.id));
        for t in in_album_order {
            album_tracks.entry(t.album_id).or_default().push(t.id);
        }
        let mut artist_albums: HashMap<CatalogId, Vec<CatalogId>> = HashMap::new();
        for (_, id) in &by_date {
            artist_albums
                .entry(albums[id].artist.id)
                .or_default()
                .push(*id);
        }
        for a in data.albums.iter().filter(|a| a.release_date.is_none()) {
            artist_albums.entry(a.artist_id).or_default().push(a.id);
        }

        Self {
            genres: data.genres,
            artists,
            albums,
            tracks,
            tracks_by_rank,
            albums_by_fans: by_fans.into_iter().map(|(_, id)| id).collect(),
            albums_by_date: by_date.into_iter().map(|(_, id)| id).collect(),
            artists_by_fans: artists_by_fans.into_iter().map(|(_, id)| id).collect(),
            album_tracks,
            artist_albums,
            charts: data
                .charts
                .into_iter()
                .map(|c| (c.genre_id, (c.tracks, c.albums)))
                .collect(),
        }
    }

    fn get_track(&self, id: CatalogId) -> CatalogResult<&Track> {
        self.tracks
            .get(&id)
            .ok_or(CatalogError::not_found("track", id.get()))
    }

    fn get_artist(&self, id: CatalogId) -> CatalogResult<&Artist> {
        self.artists
            .get(&id)
            .ok_or(CatalogError::not_found("artist", id.get()))
    }

    fn get_album(&self, id: CatalogId) -> CatalogResult<&Album> {
        self.albums
            .get(&id)
            .ok_or(CatalogError::not_found("album", id.get()))
    }

    fn get_genre(&self, id: GenreId) -> CatalogResult<&Genre> {
        self.genres
            .iter()
            .find(|g| g.id == id)
            .ok_or(CatalogError::not_found("genre", id.get()))
    }

    fn tracks_of(&self, ids: impl IntoIterator<Item = CatalogId>, limit: usize) -> Vec<Track> {
        distinct(ids, limit)
            .into_iter()
            .map(|id| self.tracks[&id].clone())
            .collect()
    }

    fn albums_of(&self, ids: impl IntoIterator<Item = CatalogId>, limit: usize) -> Vec<Album> {
        distinct(ids, limit)
            .into_iter()
            .map(|id| self.albums[&id].clone())
            .collect()
    }

    fn genre_of(&self, track: CatalogId) -> Option<GenreId> {
        self.albums[&self.tracks[&track].album.id].genre_id
    }

    fn recorded_chart(&self, genre: GenreId) -> (&[CatalogId], &[CatalogId]) {
        self.charts
            .get(&genre)
            .map_or((&[], &[]), |(t, a)| (t.as_slice(), a.as_slice()))
    }
}

/// The first `limit` ids, each once, in order.
fn distinct(ids: impl IntoIterator<Item = CatalogId>, limit: usize) -> Vec<CatalogId> {
    let mut seen = HashSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(*id))
        .take(limit)
        .collect()
}

/// Lower-cased words, so "daft  PUNK" finds "Daft Punk".
fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_lowercase).collect()
}

fn matches_all(query: &[String], haystack: &str) -> bool {
    let haystack = haystack.to_lowercase();
    query.iter().all(|w| haystack.contains(w.as_str()))
}

#[async_trait]
impl Catalog for BundledCatalog {
    fn name(&self) -> &'static str {
        "bundled"
    }

    async fn track(&self, id: CatalogId) -> CatalogResult<Track> {
        self.get_track(id).cloned()
    }

    /// The artist's other tracks, then popular tracks of the same genre.
    async fn related_tracks(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Track>> {
        let track = self.get_track(id)?;
        let genre = self.genre_of(id);
        let same_artist = self
            .tracks_by_rank
            .iter()
            .filter(|t| self.tracks[*t].artist.id == track.artist.id);
        let same_genre = self
            .tracks_by_rank
            .iter()
            .filter(|t| genre.is_some() && self.genre_of(**t) == genre);
        let related = same_artist.chain(same_genre).copied().filter(|t| *t != id);
        Ok(self.tracks_of(related, limit))
    }

    async fn artist(&self, id: CatalogId) -> CatalogResult<Artist> {
        self.get_artist(id).cloned()
    }

    async fn artist_albums(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Album>> {
        self.get_artist(id)?;
        let albums = self.artist_albums.get(&id).into_iter().flatten().copied();
        Ok(self.albums_of(albums, limit))
    }

    async fn artist_top_tracks(&self, id: CatalogId, limit: usize) -> CatalogResult<Vec<Track>> {
        self.get_artist(id)?;
        let top = self
            .tracks_by_rank
            .iter()
            .copied()
            .filter(|t| self.tracks[t].artist.id == id);
        Ok(self.tracks_of(top, limit))
    }

    async fn album(&self, id: CatalogId) -> CatalogResult<Album> {
        self.get_album(id).cloned()
    }

    async fn album_tracks(&self, id: CatalogId) -> CatalogResult<Vec<Track>> {
        self.get_album(id)?;
        let tracks = self.album_tracks.get(&id).into_iter().flatten().copied();
        Ok(self.tracks_of(tracks, usize::MAX))
    }

    /// Every word of the query must appear (ignoring case) in the title, the artist's
    /// name or the album's title; the most popular matches come first.
    async fn search(&self, query: &str, limit: usize) -> CatalogResult<SearchResults> {
        let query = words(query);
        if query.is_empty() {
            return Ok(SearchResults::default());
        }
        let tracks = self.tracks_by_rank.iter().copied().filter(|id| {
            let t = &self.tracks[id];
            let text = format!("{} {} {}", t.title, t.artist.name, t.album.title);
            matches_all(&query, &text)
        });
        let artists = self
            .artists_by_fans
            .iter()
            .filter(|id| matches_all(&query, &self.artists[id].name))
            .take(limit)
            .map(|id| self.artists[id].clone())
            .collect();
        let albums = self.albums_by_fans.iter().copied().filter(|id| {
            let a = &self.albums[id];
            matches_all(&query, &format!("{} {}", a.title, a.artist.name))
        });
        Ok(SearchResults {
            tracks: self.tracks_of(tracks, limit),
            artists,
            albums: self.albums_of(albums, limit),
        })
    }

    async fn genres(&self) -> CatalogResult<Vec<Genre>> {
        Ok(self.genres.clone())
    }

    async fn genre(&self, id: GenreId) -> CatalogResult<Genre> {
        self.get_genre(id).cloned()
    }

    /// The recorded chart of the genre, extended with its most popular tracks.
    async fn genre_top_tracks(&self, id: GenreId, limit: usize) -> CatalogResult<Vec<Track>> {
        self.get_genre(id)?;
        let (recorded, _) = self.recorded_chart(id);
        let popular = self
            .tracks_by_rank
            .iter()
            .filter(|t| id == GenreId::ALL || self.genre_of(**t) == Some(id));
        Ok(self.tracks_of(recorded.iter().chain(popular).copied(), limit))
    }

    async fn chart_tracks(&self, limit: usize) -> CatalogResult<Vec<Track>> {
        self.genre_top_tracks(GenreId::ALL, limit).await
    }

    /// The recorded album chart, extended with the albums with the most fans.
    async fn chart_albums(&self, limit: usize) -> CatalogResult<Vec<Album>> {
        let (_, recorded) = self.recorded_chart(GenreId::ALL);
        let albums = recorded.iter().chain(&self.albums_by_fans).copied();
        Ok(self.albums_of(albums, limit))
    }

    /// The newest albums by release date.
    async fn new_releases(&self, limit: usize) -> CatalogResult<Vec<Album>> {
        Ok(self.albums_of(self.albums_by_date.iter().copied(), limit))
    }
}

/// The bundled catalog has no real audio: it serves a generated preview per track.
#[async_trait]
impl PreviewSource for BundledCatalog {
    async fn preview_url(&self, id: CatalogId) -> Result<String, PreviewFailure> {
        Ok(self.get_track(id)?.preview.clone())
    }

    async fn open_preview(
        &self,
        id: CatalogId,
        range: Option<ByteRange>,
    ) -> Result<PreviewAudio, PreviewError> {
        self.get_track(id)?;
        let (start, end) = match range {
            None => (0, tone::LEN - 1),
            Some(range) => range
                .resolve(tone::LEN)
                .ok_or(PreviewError::RangeNotSatisfiable {
                    total: Some(tone::LEN),
                })?,
        };
        let content_range = range.map(|_| ContentRange {
            start,
            end,
            total: Some(tone::LEN),
        });
        Ok(PreviewAudio {
            content_type: tone::CONTENT_TYPE.into(),
            content_length: Some(end - start + 1),
            content_range,
            body: tone::stream(id.get(), start, end),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(raw: u64) -> CatalogId {
        CatalogId::new(raw).unwrap()
    }

    fn catalog() -> BundledCatalog {
        BundledCatalog::load()
    }

    #[test]
    fn the_embedded_data_is_consistent() {
        let data = CatalogData::embedded();
        assert!(data.tracks.len() > 500, "{} tracks", data.tracks.len());
        assert!(data.albums.len() > 500);
        assert!(data.artists.len() > 500);
        let artists: HashSet<_> = data.artists.iter().map(|a| a.id).collect();
        let albums: HashSet<_> = data.albums.iter().map(|a| a.id).collect();
        assert!(data.tracks.iter().all(|t| artists.contains(&t.artist_id)));
        assert!(data.tracks.iter().all(|t| albums.contains(&t.album_id)));
        assert!(data.albums.iter().all(|a| artists.contains(&a.artist_id)));
        assert_eq!(data.genres[0].id, GenreId::ALL);
    }

    #[tokio::test]
    async fn entities_come_from_the_recordings() {
        let c = catalog();
        let track = c.track(id(3135556)).await.unwrap();
        assert_eq!(track.title, "Harder Better Faster Stronger");
        assert_eq!(track.artist.name, "Daft Punk");
        assert_eq!(track.album.title, "Discovery");
        assert_eq!(track.duration, 224);
        assert_eq!(track.preview, "/api/catalogue/stream/3135556/");
        let artist = c.artist(id(27)).await.unwrap();
        assert_eq!(artist.name, "Daft Punk");
        assert!(artist.picture_xl.is_some());
        let album = c.album(id(302127)).await.unwrap();
        assert_eq!(album.release_date.as_deref(), Some("2001-03-07"));
        assert_eq!(album.genre_id, Some(GenreId::new(113)));
    }

    #[tokio::test]
    async fn unknown_ids_are_not_found() {
        let c = catalog();
        assert_eq!(
            c.track(id(1)).await.unwrap_err(),
            CatalogError::not_found("track", 1u64)
        );
        assert!(matches!(
            c.album_tracks(id(1)).await,
            Err(CatalogError::NotFound { kind: "album", .. })
        ));
        assert!(matches!(
            c.genre_top_tracks(GenreId::new(999_999), 5).await,
            Err(CatalogError::NotFound { kind: "genre", .. })
        ));
    }

    #[tokio::test]
    async fn album_tracks_are_in_album_order() {
        let tracks = catalog().album_tracks(id(302127)).await.unwrap();
        assert_eq!(tracks.len(), 14);
        assert_eq!(tracks[0].title, "One More Time");
        let positions: Vec<_> = tracks.iter().map(|t| t.track_position).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
        assert!(tracks.iter().all(|t| t.album.id == id(302127)));
    }

    #[tokio::test]
    async fn artist_lists_belong_to_the_artist() {
        let c = catalog();
        let top = c.artist_top_tracks(id(27), 5).await.unwrap();
        assert_eq!(top.len(), 5);
        assert!(top.iter().all(|t| t.artist.id == id(27)));
        let albums = c.artist_albums(id(27), 100).await.unwrap();
        assert!(albums.len() > 10);
        assert!(albums.iter().all(|a| a.artist.id == id(27)));
        let dates: Vec<_> = albums
            .iter()
            .filter_map(|a| a.release_date.clone())
            .collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    }

    #[tokio::test]
    async fn related_tracks_exclude_the_track_and_start_with_its_artist() {
        let related = catalog().related_tracks(id(3135556), 10).await.unwrap();
        assert_eq!(related.len(), 10);
        assert!(related.iter().all(|t| t.id != id(3135556)));
        assert_eq!(related[0].artist.id, id(27));
    }

    #[tokio::test]
    async fn search_matches_every_word_in_any_field() {
        let c = catalog();
        let found = c.search("daft  PUNK", 5).await.unwrap();
        assert!(!found.tracks.is_empty() && found.tracks.len() <= 5);
        assert!(
            found
                .tracks
                .iter()
                .all(|t| t.artist.name == "Daft Punk" || t.title.to_lowercase().contains("daft"))
        );
        assert_eq!(found.artists[0].name, "Daft Punk");
        assert!(!found.albums.is_empty());
        let nothing = c.search("zzqx nothing matches", 5).await.unwrap();
        assert_eq!(nothing, SearchResults::default());
        assert_eq!(c.search("   ", 5).await.unwrap(), SearchResults::default());
    }

    #[tokio::test]
    async fn charts_start_with_the_recorded_chart_and_honour_the_limit() {
        let c = catalog();
        let top = c.chart_tracks(30).await.unwrap();
        assert_eq!(top.len(), 30);
        assert_eq!(top[0].title, "LA FAMA");
        let distinct: HashSet<_> = top.iter().map(|t| t.id).collect();
        assert_eq!(distinct.len(), 30);
        assert_eq!(c.chart_albums(3).await.unwrap().len(), 3);
        let electro = c.genre_top_tracks(GenreId::new(106), 20).await.unwrap();
        assert_eq!(electro.len(), 20);
        let releases = c.new_releases(5).await.unwrap();
        let dates: Vec<_> = releases.iter().map(|a| a.release_date.clone()).collect();
        assert!(dates.windows(2).all(|w| w[0] >= w[1]));
    }

    #[tokio::test]
    async fn previews_are_generated_whole_or_by_range() {
        let c = catalog();
        assert_eq!(
            c.preview_url(id(3135556)).await.unwrap(),
            "/api/catalogue/stream/3135556/"
        );
        let whole = c.open_preview(id(3135556), None).await.unwrap();
        assert_eq!(whole.content_type, "audio/wav");
        assert_eq!(whole.content_length, Some(tone::LEN));
        assert_eq!(whole.content_range, None);
        let part = c
            .open_preview(id(3135556), Some(ByteRange::Last(100)))
            .await
            .unwrap();
        assert_eq!(part.content_length, Some(100));
        assert_eq!(
            part.content_range.unwrap().to_string(),
            format!("bytes {}-{}/{}", tone::LEN - 100, tone::LEN - 1, tone::LEN)
        );
        assert_eq!(
            c.open_preview(id(3135556), Some(ByteRange::From(tone::LEN)))
                .await
                .err(),
            Some(PreviewError::RangeNotSatisfiable {
                total: Some(tone::LEN)
            })
        );
        assert!(matches!(
            c.open_preview(id(1), None).await.err(),
            Some(PreviewError::Failed(PreviewFailure {
                cause: CatalogError::NotFound { kind: "track", .. },
                ..
            }))
        ));
    }

    #[tokio::test]
    async fn genre_zero_is_all() {
        let c = catalog();
        assert_eq!(c.genre(GenreId::ALL).await.unwrap().name, "All");
        assert!(c.genres().await.unwrap().len() >= 23);
    }
}
