//! The play queue: one per user (the aggregate id is the user's id).

mod aggregate;
mod commands;
mod error;
mod events;
mod shuffle;

pub use aggregate::{MAX_ENTRIES, Queue, QueueEntry};
pub use commands::{PlaySource, QueueCommand};
pub use error::QueueError;
pub use events::QueueEvent;
