//! Identifiers. PlayPod's own ids are UUIDs; catalog ids are Deezer's positive integers.
//! They are different types so one can never stand where the other belongs.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("expected a catalog (Deezer) id, a positive integer, but got a UUID: {0}")]
    UuidWhereCatalogIdBelongs(String),
    #[error("expected a catalog (Deezer) id, a positive integer, but got {0:?}")]
    NotACatalogId(String),
    #[error("expected a PlayPod id, a UUID, but got a catalog (Deezer) id: {0}")]
    CatalogIdWhereUuidBelongs(String),
    #[error("expected a PlayPod id, a UUID, but got {0:?}")]
    NotAUuid(String),
}

/// A Deezer id of a track, artist, album or genre: a positive integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CatalogId(u64);

impl CatalogId {
    pub fn new(value: u64) -> Result<Self, IdError> {
        if value == 0 {
            return Err(IdError::NotACatalogId("0".into()));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> u64 {
        self.0
    }
}

impl FromStr for CatalogId {
    type Err = IdError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let trimmed = raw.trim();
        if Uuid::parse_str(trimmed).is_ok() {
            return Err(IdError::UuidWhereCatalogIdBelongs(trimmed.to_owned()));
        }
        let well_formed = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit());
        match trimmed.parse::<u64>() {
            Ok(value) if well_formed => Self::new(value),
            _ => Err(IdError::NotACatalogId(truncate(trimmed))),
        }
    }
}

impl fmt::Display for CatalogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

fn truncate(raw: &str) -> String {
    raw.chars().take(64).collect()
}

fn parse_uuid(raw: &str) -> Result<Uuid, IdError> {
    let trimmed = raw.trim();
    Uuid::parse_str(trimmed).map_err(|_| {
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            IdError::CatalogIdWhereUuidBelongs(truncate(trimmed))
        } else {
            IdError::NotAUuid(truncate(trimmed))
        }
    })
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                parse_uuid(raw).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A PlayPod account.
    UserId
);
uuid_id!(
    /// A playlist.
    PlaylistId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_ids_are_positive_integers() {
        assert_eq!("3135556".parse::<CatalogId>().unwrap().get(), 3135556);
        assert_eq!(" 42 ".parse::<CatalogId>().unwrap().get(), 42);
    }

    #[test]
    fn a_uuid_is_not_a_catalog_id_and_says_so() {
        let err = "0195c0de-0000-7000-8000-000000000000"
            .parse::<CatalogId>()
            .unwrap_err();
        assert!(matches!(err, IdError::UuidWhereCatalogIdBelongs(_)));
        assert!(err.to_string().contains("catalog (Deezer) id"));
    }

    #[test]
    fn junk_negative_zero_and_overflow_are_refused() {
        for raw in [
            "",
            "-1",
            "0",
            "+5",
            "1.5",
            "abc",
            "99999999999999999999999",
            "1e3",
        ] {
            assert!(
                matches!(raw.parse::<CatalogId>(), Err(IdError::NotACatalogId(_))),
                "{raw} was accepted"
            );
        }
    }

    #[test]
    fn a_catalog_id_is_not_a_uuid_and_says_so() {
        let err = "3135556".parse::<PlaylistId>().unwrap_err();
        assert!(matches!(err, IdError::CatalogIdWhereUuidBelongs(_)));
        assert!(matches!(
            "nope".parse::<UserId>(),
            Err(IdError::NotAUuid(_))
        ));
    }

    #[test]
    fn uuid_ids_round_trip_through_text() {
        let id = PlaylistId::new();
        assert_eq!(id.to_string().parse::<PlaylistId>().unwrap(), id);
    }
}
