//! Personal recommendations, from the taste read model and the catalog: tracks to hear next
//! and "Your Daily Mood" playlists.
//!
//! Genres: track snapshots carry no genre, so the taste read model scores artists and
//! albums, and genre preferences are derived when asked, from the genre ids the catalog
//! gives the user's favourite albums (each counting with its album's score). The look-ups
//! cost nothing with the bundled catalog (in memory) and are cached by a Deezer adapter;
//! albums without a genre simply do not count.

mod daily;
mod profile;
mod tracks;

pub use daily::{DailyMood, MoodKey, MoodKeyError, daily_mood, daily_moods};
pub use tracks::recommend;
