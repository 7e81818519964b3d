//! What every handler shares.

use std::sync::Arc;

use domain::{library::Library, playlist::Playlist, queue::Queue};
use projections::ProjectionEngine;
use sqlx::PgPool;

use crate::{
    adapters::media_store::MediaStore,
    api::view_cache::ViewCache,
    auth::{JwtKeys, LoginLimiter, session_cache::SessionCache},
    catalog::{Catalog, PreviewSource},
    commands::CommandBus,
    config::Settings,
    db::ReadPool,
};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    /// For the reads whose answers `views` keeps.
    pub reads: Arc<ReadPool>,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    pub login_limiter: Arc<LoginLimiter>,
    /// Logins already checked against the database, while it can tell us of changes.
    pub sessions: Arc<SessionCache>,
    /// Rendered answers of the heaviest reads, with the versions they were rendered from.
    pub views: Arc<ViewCache>,
    pub media: MediaStore,
    pub projections: ProjectionEngine,
    pub queue: Arc<CommandBus<Queue>>,
    pub playlists: Arc<CommandBus<Playlist>>,
    /// Favorites: one `Library` per user, keyed by the user's id.
    pub library: Arc<CommandBus<Library>>,
    /// The music catalog (Deezer through a cache, or the bundled offline one).
    pub catalog: Arc<dyn Catalog>,
    /// Preview audio, from the same adapter as `catalog`.
    pub previews: Arc<dyn PreviewSource>,
}
