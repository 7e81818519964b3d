//! What every handler shares.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    adapters::media_store::MediaStore,
    auth::{JwtKeys, LoginLimiter},
    catalog::{Catalog, PreviewSource},
    config::Settings,
};

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    pub login_limiter: Arc<LoginLimiter>,
    pub media: MediaStore,
    /// The music catalog (Deezer through a cache, or the bundled offline one).
    pub catalog: Arc<dyn Catalog>,
    /// Preview audio, from the same adapter as `catalog`.
    pub previews: Arc<dyn PreviewSource>,
}
