//! "Your Daily Mood": a playlist for each favourite genre (the charts for a user without
//! one), picked afresh every UTC day. A mood depends only on the user, the genre, the date
//! and the catalog's top tracks of the genre: listed twice in a day, or saved later that
//! day, it holds the same tracks. Which moods are listed follows the taste as it changes.

use std::{fmt, str::FromStr};

use chrono::{Datelike, NaiveDate};
use futures::future::try_join_all;
use rand::{SeedableRng, rngs::StdRng, seq::SliceRandom};
use uuid::Uuid;

use super::profile;
use crate::{
    api::error::ApiResult,
    catalog::{Catalog, Genre, GenreId, Track},
    state::AppState,
};

const TRACKS: usize = 25;
/// The mood picks from this many of the genre's top tracks, so it changes from day to day.
const POOL: usize = 50;
const KEY_PREFIX: &str = "daily-mood-";

/// Names a mood: `daily-mood-<genre id>-<yyyymmdd>` (genre 0 is the charts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoodKey {
    pub genre: GenreId,
    pub date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a recommended playlist key is daily-mood-<genre id>-<yyyymmdd>, not {0:?}")]
pub struct MoodKeyError(String);

impl fmt::Display for MoodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{KEY_PREFIX}{}-{}",
            self.genre,
            self.date.format("%Y%m%d")
        )
    }
}

impl FromStr for MoodKey {
    type Err = MoodKeyError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let invalid = || MoodKeyError(raw.chars().take(64).collect());
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let (genre, date) = raw
            .strip_prefix(KEY_PREFIX)
            .and_then(|rest| rest.split_once('-'))
            .filter(|(genre, date)| digits(genre) && digits(date) && date.len() == 8)
            .ok_or_else(invalid)?;
        Ok(Self {
            genre: genre.parse().map_err(|_| invalid())?,
            date: NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| invalid())?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct DailyMood {
    pub key: MoodKey,
    pub genre: Genre,
    pub name: String,
    pub description: String,
    pub tracks: Vec<Track>,
}

/// The user's moods for `date`, favourite genre first; moods without tracks are left out.
pub async fn daily_moods(
    state: &AppState,
    user: Uuid,
    date: NaiveDate,
) -> ApiResult<Vec<DailyMood>> {
    let taste = profile::taste(state, user).await?;
    let genres = if taste.genres.is_empty() {
        vec![state.catalog.genre(GenreId::ALL).await?]
    } else {
        taste.genres.into_iter().map(|(genre, _)| genre).collect()
    };
    let catalog = state.catalog.as_ref();
    let moods = try_join_all(genres.into_iter().map(|g| mood(catalog, user, g, date))).await?;
    Ok(moods.into_iter().filter(|m| !m.tracks.is_empty()).collect())
}

/// The mood `key` names if it is one of the user's moods of `today`.
pub async fn daily_mood(
    state: &AppState,
    user: Uuid,
    key: MoodKey,
    today: NaiveDate,
) -> ApiResult<Option<DailyMood>> {
    if key.date != today {
        return Ok(None);
    }
    let moods = daily_moods(state, user, today).await?;
    Ok(moods.into_iter().find(|m| m.key == key))
}

async fn mood(
    catalog: &dyn Catalog,
    user: Uuid,
    genre: Genre,
    date: NaiveDate,
) -> ApiResult<DailyMood> {
    let mut tracks = catalog.genre_top_tracks(genre.id, POOL).await?;
    tracks.shuffle(&mut StdRng::from_seed(seed(user, genre.id, date)));
    tracks.truncate(TRACKS);
    let (name, description) = if genre.id == GenreId::ALL {
        (
            "Your Daily Mood".to_owned(),
            "Today's picks from the charts, new every day.".to_owned(),
        )
    } else {
        (
            format!("Your Daily Mood: {}", genre.name),
            format!(
                "Today's picks of {}, a genre you like, new every day.",
                genre.name
            ),
        )
    };
    Ok(DailyMood {
        key: MoodKey {
            genre: genre.id,
            date,
        },
        genre,
        name,
        description,
        tracks,
    })
}

/// The user, the genre and the date themselves seed the shuffle. (StdRng's algorithm is
/// fixed for a build; upgrading `rand` may re-pick a day's moods, never within a build.)
fn seed(user: Uuid, genre: GenreId, date: NaiveDate) -> [u8; 32] {
    let mut seed = [0; 32];
    seed[..16].copy_from_slice(user.as_bytes());
    seed[16..24].copy_from_slice(&genre.get().to_le_bytes());
    seed[24..28].copy_from_slice(&date.num_days_from_ce().to_le_bytes());
    seed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn keys_round_trip() {
        let key = MoodKey {
            genre: GenreId::new(113),
            date: day(2026, 11, 26),
        };
        assert_eq!(key.to_string(), "daily-mood-113-20261126");
        assert_eq!("daily-mood-113-20261126".parse(), Ok(key));
        assert_eq!(
            "daily-mood-0-20260101".parse::<MoodKey>().unwrap().genre,
            GenreId::ALL
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        for raw in [
            "",
            "daily-mood-",
            "daily-mood-113",
            "daily-mood-x-20261126",
            "daily-mood--20261126",
            "daily-mood-113-2026112",
            "daily-mood-113-20261326",
            "daily-mood-113-+2026112",
            "weekly-mood-113-20261126",
            "daily-mood-113-20261126-1",
            "daily-mood- 113-20261126",
            "daily-mood-99999999999999999999999-20261126",
        ] {
            assert!(raw.parse::<MoodKey>().is_err(), "{raw} was accepted");
        }
    }

    #[test]
    fn seeds_differ_by_user_genre_and_day() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let (g, d) = (GenreId::new(113), day(2026, 11, 26));
        assert_eq!(seed(a, g, d), seed(a, g, d));
        assert_ne!(seed(a, g, d), seed(b, g, d));
        assert_ne!(seed(a, g, d), seed(a, GenreId::new(106), d));
        assert_ne!(seed(a, g, d), seed(a, g, day(2026, 11, 27)));
    }
}
