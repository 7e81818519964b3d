//! Application-level reads for playlists and favorites: the read models' queries and the
//! event-store reads behind audit history and time travel.

pub mod queries;
pub mod time_travel;

/// A page of a list: `limit` rows from `offset`.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}
