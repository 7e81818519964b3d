//! A track snapshot's fields as column arrays, so a batch of rows goes to PostgreSQL in
//! one `unnest` statement instead of one statement per row.

use domain::TrackSnapshot;
use sqlx::{Postgres, postgres::PgArguments, query::Query};

/// The SQL types of the eight arrays `bind` adds, in order, for `unnest(...)`.
pub const TRACK_ARRAY_TYPES: [&str; 8] = [
    "bigint[]", "text[]", "bigint[]", "text[]", "bigint[]", "text[]", "text[]", "int[]",
];

/// The table columns the arrays fill, in the same order.
pub const TRACK_COLUMNS: &str =
    "track_id, title, artist_id, artist_name, album_id, album_title, album_cover, duration";

#[derive(Default)]
pub struct TrackColumns {
    track_id: Vec<i64>,
    title: Vec<String>,
    artist_id: Vec<i64>,
    artist_name: Vec<String>,
    album_id: Vec<Option<i64>>,
    album_title: Vec<String>,
    album_cover: Vec<String>,
    duration: Vec<i32>,
}

/// Deezer ids are far below `i64::MAX`.
pub fn db_id(id: domain::CatalogId) -> i64 {
    id.get() as i64
}

impl TrackColumns {
    pub fn push(&mut self, track: &TrackSnapshot) {
        self.track_id.push(db_id(track.track_id));
        self.title.push(track.title.clone());
        self.artist_id.push(db_id(track.artist_id));
        self.artist_name.push(track.artist_name.clone());
        self.album_id.push(track.album_id.map(db_id));
        self.album_title.push(track.album_title.clone());
        self.album_cover.push(track.album_cover.clone());
        self.duration.push(track.duration as i32);
    }

    /// Binds the eight arrays, in `TRACK_COLUMNS` order.
    pub fn bind<'q>(
        &'q self,
        query: Query<'q, Postgres, PgArguments>,
    ) -> Query<'q, Postgres, PgArguments> {
        query
            .bind(self.track_id.as_slice())
            .bind(self.title.as_slice())
            .bind(self.artist_id.as_slice())
            .bind(self.artist_name.as_slice())
            .bind(self.album_id.as_slice())
            .bind(self.album_title.as_slice())
            .bind(self.album_cover.as_slice())
            .bind(self.duration.as_slice())
    }
}

/// `unnest($first::bigint[], ...)` arguments for the eight track arrays bound from `$first`.
pub fn track_unnest_args(first: usize) -> String {
    TRACK_ARRAY_TYPES
        .iter()
        .enumerate()
        .map(|(i, ty)| format!("${}::{ty}", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnest_arguments_number_the_eight_arrays_from_the_first_parameter() {
        assert_eq!(
            track_unnest_args(3),
            "$3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::int[]"
        );
    }
}
