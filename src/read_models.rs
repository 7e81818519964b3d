//! Every projection the server keeps, in the order they are caught up.

use std::sync::Arc;

use projections::{
    Projection,
    favorites::FavoritesProjection,
    playlists::PlaylistsProjection,
    queue::{ListeningHistoryProjection, QueueProjection},
    taste::TasteProjection,
};

pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(PlaylistsProjection),
        Arc::new(FavoritesProjection),
        Arc::new(QueueProjection),
        Arc::new(ListeningHistoryProjection),
        Arc::new(TasteProjection::default()),
    ]
}
