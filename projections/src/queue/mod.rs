//! The play queue and listening history read models.

mod projector;
mod views;

pub use projector::{ListeningHistoryProjection, QueueProjection};
pub use views::{
    HistoryItem, QueueEntryView, QueueView, history, queue, queue_entries, queue_entries_versioned,
    queue_entry_at, recently_played,
};
