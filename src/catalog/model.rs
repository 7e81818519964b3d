//! Catalog entities, shaped after Deezer's JSON but independent of any adapter.

use domain::CatalogId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArtistRef {
    pub id: CatalogId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlbumRef {
    pub id: CatalogId,
    pub title: String,
    pub cover_medium: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub id: CatalogId,
    pub title: String,
    /// Seconds.
    pub duration: u32,
    /// The 30-second preview's URL upstream (may expire).
    pub preview: String,
    pub track_position: Option<u32>,
    pub artist: ArtistRef,
    pub album: AlbumRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artist {
    pub id: CatalogId,
    pub name: String,
    pub picture_medium: String,
    pub picture_xl: String,
    pub nb_album: u32,
    pub nb_fan: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Album {
    pub id: CatalogId,
    pub title: String,
    pub cover_medium: String,
    pub cover_xl: String,
    /// `YYYY-MM-DD` when known.
    pub release_date: Option<String>,
    pub artist: ArtistRef,
    pub genre_id: Option<CatalogId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Genre {
    pub id: CatalogId,
    pub name: String,
    pub picture_medium: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub tracks: Vec<Track>,
    pub artists: Vec<Artist>,
    pub albums: Vec<Album>,
}
