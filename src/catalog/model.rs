//! Catalog entities, shaped after Deezer's JSON but independent of any adapter.

use std::{fmt, str::FromStr};

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
    /// Where a client can fetch the 30-second preview: Deezer's CDN URL (it may expire),
    /// or this server's stream path for the bundled catalog. Empty when there is none.
    pub preview: String,
    pub track_position: Option<u32>,
    pub artist: ArtistRef,
    pub album: AlbumRef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Artist {
    pub id: CatalogId,
    pub name: String,
    /// `None` when the catalog only knows the artist from a track listing.
    pub picture_medium: Option<String>,
    pub picture_xl: Option<String>,
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
    pub genre_id: Option<GenreId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Genre {
    pub id: GenreId,
    pub name: String,
    pub picture_medium: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub tracks: Vec<Track>,
    pub artists: Vec<Artist>,
    pub albums: Vec<Album>,
}

impl Album {
    pub fn to_ref(&self) -> AlbumRef {
        AlbumRef {
            id: self.id,
            title: self.title.clone(),
            cover_medium: self.cover_medium.clone(),
        }
    }
}

impl Artist {
    pub fn to_ref(&self) -> ArtistRef {
        ArtistRef {
            id: self.id,
            name: self.name.clone(),
        }
    }
}

/// A Deezer genre id. Unlike other catalog ids it may be 0, Deezer's "All" genre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GenreId(u64);

impl GenreId {
    /// Deezer's "All" genre: charts across every genre.
    pub const ALL: Self = Self(0);

    pub fn new(value: u64) -> Self {
        Self(value)
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for GenreId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenreIdError {
    #[error("expected a genre id, a non-negative integer (0 is \"All\"), but got a UUID: {0}")]
    Uuid(String),
    #[error("expected a genre id, a non-negative integer (0 is \"All\"), but got {0:?}")]
    NotAnInteger(String),
}

impl FromStr for GenreId {
    type Err = GenreIdError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let trimmed = raw.trim();
        if uuid::Uuid::parse_str(trimmed).is_ok() {
            return Err(GenreIdError::Uuid(trimmed.to_owned()));
        }
        let digits = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit());
        match trimmed.parse::<u64>() {
            Ok(value) if digits => Ok(Self(value)),
            _ => Err(GenreIdError::NotAnInteger(
                trimmed.chars().take(64).collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genre_ids_accept_zero_and_refuse_junk() {
        assert_eq!("0".parse::<GenreId>().unwrap(), GenreId::ALL);
        assert_eq!(" 106 ".parse::<GenreId>().unwrap().get(), 106);
        for raw in ["", "-1", "+3", "1.5", "pop", "99999999999999999999999"] {
            assert!(
                matches!(raw.parse::<GenreId>(), Err(GenreIdError::NotAnInteger(_))),
                "{raw} was accepted"
            );
        }
        let err = "0195c0de-0000-7000-8000-000000000000"
            .parse::<GenreId>()
            .unwrap_err();
        assert!(err.to_string().contains("genre id"));
    }
}
