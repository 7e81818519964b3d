//! PlayPod's pure event-sourced model: identifiers, value objects and aggregates.
//! Nothing here performs IO.

pub mod account;
pub mod ids;
pub mod library;
pub mod playlist;
pub mod queue;
pub mod track;

pub use ids::{CatalogId, IdError, PlaylistId, UserId};
pub use track::TrackSnapshot;
