//! A user's library of favorite tracks: one aggregate per user (its id is the user's id),
//! so only that user's requests ever reach it.

mod aggregate;
mod commands;
mod error;
mod events;

#[cfg(test)]
mod tests;

pub use aggregate::{Library, MAX_FAVORITES};
pub use commands::LibraryCommand;
pub use error::LibraryError;
pub use events::LibraryEvent;
