//! A playlist: one aggregate per playlist, changed only by its owner.

mod aggregate;
mod commands;
mod error;
mod events;
mod values;

#[cfg(test)]
mod tests;

pub use aggregate::{MAX_TRACKS, Playlist, PlaylistDetails, PlaylistEntry};
pub use commands::{NewEntry, PlaylistAction, PlaylistCommand, PlaylistContents};
pub use error::{InvalidValue, PlaylistError};
pub use events::PlaylistEvent;
pub use values::{Description, EntryId, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, PlaylistName};
