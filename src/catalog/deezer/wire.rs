//! Deezer's JSON, as the public API sends it, turned into catalog entities.
//!
//! Single entities are parsed strictly (a malformed one is an upstream error); list items
//! are parsed leniently, because Deezer lists can hold entries PlayPod cannot use (user
//! uploads have negative ids, some tracks lack an album).

use domain::CatalogId;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;

use crate::catalog::{
    Album, AlbumRef, Artist, ArtistRef, CatalogError, CatalogResult, Genre, GenreId, Track,
};

#[derive(Deserialize)]
struct WireArtistRef {
    id: i64,
    name: String,
}

#[derive(Deserialize)]
struct WireAlbumRef {
    id: i64,
    title: String,
    #[serde(default)]
    cover_medium: String,
}

#[derive(Deserialize)]
struct WireTrack {
    id: i64,
    title: String,
    #[serde(default)]
    duration: u32,
    #[serde(default)]
    preview: String,
    track_position: Option<u32>,
    artist: WireArtistRef,
    /// Absent in an album's track list.
    album: Option<WireAlbumRef>,
}

#[derive(Deserialize)]
struct WireArtist {
    id: i64,
    name: String,
    picture_medium: Option<String>,
    picture_xl: Option<String>,
    #[serde(default)]
    nb_album: u32,
    #[serde(default)]
    nb_fan: u64,
}

#[derive(Deserialize)]
struct WireAlbum {
    id: i64,
    title: String,
    #[serde(default)]
    cover_medium: String,
    #[serde(default)]
    cover_xl: String,
    release_date: Option<String>,
    /// Absent in an artist's album list.
    artist: Option<WireArtistRef>,
    /// -1 when Deezer has none.
    genre_id: Option<i64>,
}

#[derive(Deserialize)]
struct WireGenre {
    id: i64,
    name: String,
    picture_medium: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    data: Vec<Value>,
}

fn catalog_id(raw: i64) -> Option<CatalogId> {
    u64::try_from(raw).ok().and_then(|v| CatalogId::new(v).ok())
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

impl WireArtistRef {
    fn into_ref(self) -> Option<ArtistRef> {
        Some(ArtistRef {
            id: catalog_id(self.id)?,
            name: self.name,
        })
    }
}

impl WireTrack {
    fn into_track(self, album: Option<&AlbumRef>) -> Option<Track> {
        let album = match self.album {
            Some(a) => AlbumRef {
                id: catalog_id(a.id)?,
                title: a.title,
                cover_medium: a.cover_medium,
            },
            None => album?.clone(),
        };
        Some(Track {
            id: catalog_id(self.id)?,
            title: self.title,
            duration: self.duration,
            preview: self.preview,
            track_position: self.track_position.filter(|p| *p > 0),
            artist: self.artist.into_ref()?,
            album,
        })
    }
}

impl WireArtist {
    fn into_artist(self) -> Option<Artist> {
        Some(Artist {
            id: catalog_id(self.id)?,
            name: self.name,
            picture_medium: non_empty(self.picture_medium),
            picture_xl: non_empty(self.picture_xl),
            nb_album: self.nb_album,
            nb_fan: self.nb_fan,
        })
    }
}

impl WireAlbum {
    fn into_album(self, artist: Option<&ArtistRef>) -> Option<Album> {
        let artist = match self.artist {
            Some(a) => a.into_ref()?,
            None => artist?.clone(),
        };
        Some(Album {
            id: catalog_id(self.id)?,
            title: self.title,
            cover_medium: self.cover_medium,
            cover_xl: self.cover_xl,
            // Deezer writes "0000-00-00" when it does not know.
            release_date: non_empty(self.release_date).filter(|d| !d.starts_with("0000")),
            artist,
            genre_id: self
                .genre_id
                .and_then(|g| u64::try_from(g).ok())
                .filter(|g| *g > 0)
                .map(GenreId::new),
        })
    }
}

impl WireGenre {
    fn into_genre(self) -> Option<Genre> {
        Some(Genre {
            id: GenreId::new(u64::try_from(self.id).ok()?),
            name: self.name,
            picture_medium: non_empty(self.picture_medium),
        })
    }
}

fn strict<W: DeserializeOwned, T>(
    kind: &str,
    value: Value,
    convert: impl FnOnce(W) -> Option<T>,
) -> CatalogResult<T> {
    let wire: W = serde_json::from_value(value)
        .map_err(|e| CatalogError::Upstream(format!("unexpected {kind} JSON: {e}")))?;
    convert(wire).ok_or_else(|| CatalogError::Upstream(format!("unusable {kind} in the answer")))
}

fn list<W: DeserializeOwned, T>(
    kind: &str,
    value: Value,
    convert: impl Fn(W) -> Option<T>,
) -> CatalogResult<Vec<T>> {
    let page: Page = serde_json::from_value(value)
        .map_err(|e| CatalogError::Upstream(format!("unexpected {kind} list JSON: {e}")))?;
    Ok(page
        .data
        .into_iter()
        .filter_map(|item| serde_json::from_value(item).ok())
        .filter_map(convert)
        .collect())
}

pub(super) fn track(value: Value) -> CatalogResult<Track> {
    strict("track", value, |w: WireTrack| w.into_track(None))
}

pub(super) fn artist(value: Value) -> CatalogResult<Artist> {
    strict("artist", value, WireArtist::into_artist)
}

pub(super) fn album(value: Value) -> CatalogResult<Album> {
    strict("album", value, |w: WireAlbum| w.into_album(None))
}

pub(super) fn genre(value: Value) -> CatalogResult<Genre> {
    strict("genre", value, WireGenre::into_genre)
}

/// Tracks of a list; `album` stands in for the album an album's track list leaves out.
pub(super) fn tracks(value: Value, album: Option<&AlbumRef>) -> CatalogResult<Vec<Track>> {
    list("track", value, |w: WireTrack| w.into_track(album))
}

/// Albums of a list; `artist` stands in for the artist an artist's album list leaves out.
pub(super) fn albums(value: Value, artist: Option<&ArtistRef>) -> CatalogResult<Vec<Album>> {
    list("album", value, |w: WireAlbum| w.into_album(artist))
}

pub(super) fn artists(value: Value) -> CatalogResult<Vec<Artist>> {
    list("artist", value, WireArtist::into_artist)
}

pub(super) fn genres(value: Value) -> CatalogResult<Vec<Genre>> {
    list("genre", value, WireGenre::into_genre)
}

/// Deezer's error object, which it sends with HTTP 200.
#[derive(Debug, Deserialize)]
pub(super) struct DeezerError {
    pub code: i64,
    #[serde(default)]
    pub message: String,
}

impl DeezerError {
    pub(super) fn of(value: &Value) -> Option<Self> {
        serde_json::from_value(value.get("error")?.clone()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(path: &str) -> Value {
        let full = format!(
            "{}/tests/fixtures/deezer/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(&full).unwrap()).unwrap()
    }

    fn id(raw: u64) -> CatalogId {
        CatalogId::new(raw).unwrap()
    }

    #[test]
    fn a_full_track_is_parsed() {
        let t = track(fixture("track/3135556.json")).unwrap();
        assert_eq!(t.id, id(3135556));
        assert_eq!(t.title, "Harder Better Faster Stronger");
        assert_eq!(t.duration, 224);
        assert_eq!(t.track_position, Some(4));
        assert_eq!(t.artist.name, "Daft Punk");
        assert_eq!(t.album.id, id(302127));
        assert!(t.album.cover_medium.contains("250x250"));
        assert!(t.preview.starts_with("https://cdns-preview-"));
    }

    #[test]
    fn album_track_lists_borrow_the_album() {
        let discovery = album(fixture("album/302127.json")).unwrap();
        assert_eq!(discovery.genre_id, Some(GenreId::new(113)));
        assert_eq!(discovery.release_date.as_deref(), Some("2001-03-07"));
        let list = tracks(
            fixture("album/302127/tracks.json"),
            Some(&discovery.to_ref()),
        )
        .unwrap();
        assert_eq!(list.len(), 14);
        assert!(list.iter().all(|t| t.album.title == "Discovery"));
        assert!(
            tracks(fixture("album/302127/tracks.json"), None)
                .unwrap()
                .is_empty(),
            "without the album, album-less tracks are unusable"
        );
    }

    #[test]
    fn artist_album_lists_borrow_the_artist() {
        let daft = artist(fixture("artist/27.json")).unwrap();
        assert_eq!(daft.nb_album, 32);
        let list = albums(fixture("artist/27/albums.json"), Some(&daft.to_ref())).unwrap();
        assert_eq!(list.len(), 25);
        assert!(list.iter().all(|a| a.artist.id == id(27)));
    }

    #[test]
    fn genres_include_all_and_pictures_are_optional() {
        let list = genres(fixture("genre.json")).unwrap();
        assert_eq!(list[0].id, GenreId::ALL);
        assert_eq!(list.len(), 23);
        let techno = genre(serde_json::json!({"id": 232, "name": "Technologie"})).unwrap();
        assert_eq!(techno.picture_medium, None);
    }

    #[test]
    fn unusable_list_items_are_skipped_and_bad_entities_refused() {
        let page = serde_json::json!({"data": [
            {"id": -5, "title": "upload", "artist": {"id": 1, "name": "me"},
             "album": {"id": 2, "title": "a"}},
            {"id": 7, "title": "ok", "artist": {"id": 1, "name": "me"},
             "album": {"id": 2, "title": "a", "cover_medium": "c"}},
            "garbage"
        ]});
        let list = tracks(page, None).unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].id, id(7));
        assert!(matches!(
            track(serde_json::json!({"id": "x"})),
            Err(CatalogError::Upstream(_))
        ));
        assert!(matches!(
            tracks(serde_json::json!({"nope": []}), None),
            Err(CatalogError::Upstream(_))
        ));
    }

    #[test]
    fn deezer_errors_are_recognised() {
        let err = DeezerError::of(&fixture("album/-1.json")).unwrap();
        assert_eq!(err.code, 800);
        assert!(DeezerError::of(&fixture("genre/106.json")).is_none());
    }

    #[test]
    fn unknown_release_dates_and_genres_are_none() {
        let a = album(serde_json::json!({
            "id": 1, "title": "t", "release_date": "0000-00-00", "genre_id": -1,
            "artist": {"id": 2, "name": "n"}
        }))
        .unwrap();
        assert_eq!(a.release_date, None);
        assert_eq!(a.genre_id, None);
    }
}
