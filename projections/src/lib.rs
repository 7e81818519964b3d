//! Read models fed from the event store in global order, each with a checkpoint kept in the
//! same transaction as its rows, so every event is applied exactly once.

mod copy_rows;
pub mod engine;
pub mod favorites;
pub mod playlists;
mod progress;
pub mod queue;
pub mod stored_event;
pub mod taste;
mod track_columns;
pub mod verify;
mod versioned;

pub use engine::{Fold, Projection, ProjectionEngine, ProjectionError};
pub use progress::{CHECKPOINT_COLUMNS, Checkpoint};
pub use stored_event::StoredEvent;
pub use versioned::{Versioned, known_parameter, page_from_rows, present_rows};
