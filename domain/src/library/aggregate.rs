use std::collections::BTreeSet;

use cqrs_es::{Aggregate, event_sink::EventSink};
use serde::{Deserialize, Serialize};

use super::{commands::LibraryCommand, error::LibraryError, events::LibraryEvent};
use crate::CatalogId;

/// The most favorites a user keeps; keeps every command's cost bounded.
pub const MAX_FAVORITES: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Library {
    favorites: BTreeSet<CatalogId>,
}

impl Library {
    pub fn is_favorite(&self, track_id: CatalogId) -> bool {
        self.favorites.contains(&track_id)
    }

    pub fn favorite_count(&self) -> usize {
        self.favorites.len()
    }
}

impl Aggregate for Library {
    const TYPE: &'static str = "Library";
    type Command = LibraryCommand;
    type Event = LibraryEvent;
    type Error = LibraryError;
    type Services = ();

    async fn handle(
        &mut self,
        command: LibraryCommand,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), LibraryError> {
        match command {
            LibraryCommand::AddFavorite { entry_id, track } => {
                if self.is_favorite(track.track_id) {
                    return Err(LibraryError::AlreadyFavorite(track.track_id));
                }
                if self.favorites.len() >= MAX_FAVORITES {
                    return Err(LibraryError::Full { max: MAX_FAVORITES });
                }
                sink.write(LibraryEvent::FavoriteAdded { entry_id, track }, self)
                    .await;
            }
            LibraryCommand::RemoveFavorite { track_id } => {
                if !self.is_favorite(track_id) {
                    return Err(LibraryError::NotFavorite(track_id));
                }
                sink.write(LibraryEvent::FavoriteRemoved { track_id }, self)
                    .await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: LibraryEvent) {
        match event {
            LibraryEvent::FavoriteAdded { track, .. } => {
                self.favorites.insert(track.track_id);
            }
            LibraryEvent::FavoriteRemoved { track_id } => {
                self.favorites.remove(&track_id);
            }
        }
    }
}
