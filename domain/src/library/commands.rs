use crate::{CatalogId, TrackSnapshot, playlist::EntryId};

#[derive(Debug, Clone, PartialEq)]
pub enum LibraryCommand {
    AddFavorite {
        entry_id: EntryId,
        track: TrackSnapshot,
    },
    RemoveFavorite {
        track_id: CatalogId,
    },
}
