//! Reads that leave out what the reader already has.

use sqlx::{FromRow, Row, postgres::PgRow};
use uuid::Uuid;

/// A read model's version and, unless it is the version the reader already knew, its rows.
///
/// Versions are taken from the read model in the same statement as the rows, and are
/// derived from the events (a position or an aggregate's sequence), never counted by the
/// read model itself: the same events give the same rows and the same version on every
/// instance and after a rebuild. When `version` equals the version the reader passed in,
/// `rows` hold nothing (an empty page, or the default).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub version: i64,
    pub rows: T,
}

/// The `known` version as a query parameter: no answer kept matches no version (versions
/// are never negative).
pub fn known_parameter(known: Option<i64>) -> i64 {
    known.unwrap_or(-1)
}

/// A versioned page and its total from a statement that joins the page to one row holding
/// the version and the total: that row comes back alone when the page is empty or was
/// left out, with `item` (a column of the page) null.
pub fn page_from_rows<T>(
    rows: &[PgRow],
    version: &str,
    item: &str,
) -> sqlx::Result<Versioned<(Vec<T>, i64)>>
where
    T: for<'r> FromRow<'r, PgRow>,
{
    let Some(first) = rows.first() else {
        return Ok(Versioned {
            version: 0,
            rows: (Vec::new(), 0),
        });
    };
    Ok(Versioned {
        version: first.try_get(version)?,
        rows: (
            present_rows(rows, item)?,
            first.try_get::<Option<i64>, _>("total")?.unwrap_or(0),
        ),
    })
}

/// The rows of a left-joined side, those where its column `item` is not null.
pub fn present_rows<T>(rows: &[PgRow], item: &str) -> sqlx::Result<Vec<T>>
where
    T: for<'r> FromRow<'r, PgRow>,
{
    let mut present = Vec::with_capacity(rows.len());
    for row in rows {
        if row.try_get::<Option<Uuid>, _>(item)?.is_some() {
            present.push(T::from_row(row)?);
        }
    }
    Ok(present)
}
