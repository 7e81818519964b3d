//! Reads that leave out what the reader already has.

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
