//! The on-disk form of the bundled catalog (`data/catalog/catalog.json.gz`): entities
//! normalised by id, so a track names its artist and album instead of repeating them.

use std::io::Read;

use domain::CatalogId;
use serde::{Deserialize, Serialize};

use crate::catalog::{Artist, Genre, GenreId};

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct CatalogData {
    /// Deezer's genre list order first, then genres only seen elsewhere.
    pub genres: Vec<Genre>,
    pub artists: Vec<Artist>,
    pub albums: Vec<AlbumRecord>,
    pub tracks: Vec<TrackRecord>,
    /// Charts as recorded, by genre.
    pub charts: Vec<ChartRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AlbumRecord {
    pub id: CatalogId,
    pub title: String,
    pub cover_medium: String,
    pub cover_xl: String,
    pub release_date: Option<String>,
    pub artist_id: CatalogId,
    pub genre_id: Option<GenreId>,
    /// Deezer's fan count (0 when unknown): orders albums where no chart says otherwise.
    pub fans: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TrackRecord {
    pub id: CatalogId,
    pub title: String,
    pub duration: u32,
    pub track_position: Option<u32>,
    pub artist_id: CatalogId,
    pub album_id: CatalogId,
    /// Deezer's popularity rank (0 when unknown): orders tracks in top lists and search.
    pub rank: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ChartRecord {
    pub genre_id: GenreId,
    pub tracks: Vec<CatalogId>,
    pub albums: Vec<CatalogId>,
}

/// The compressed catalog compiled into the binary: PlayPod never reads it from disk.
const COMPRESSED: &[u8] = include_bytes!("../../../data/catalog/catalog.json.gz");

impl CatalogData {
    /// Decodes the embedded catalog. It is built and checked by the generator and by
    /// tests, so a failure here is a build defect, not a runtime condition.
    pub fn embedded() -> Self {
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(COMPRESSED)
            .read_to_end(&mut json)
            .expect("data/catalog/catalog.json.gz is valid gzip");
        serde_json::from_slice(&json).expect("data/catalog/catalog.json.gz holds a catalog")
    }
}
