//! Building the application from settings and running it.

use std::{sync::Arc, time::Duration};

use poem::{
    Server,
    listener::{Acceptor, Listener, TcpListener},
};

use crate::{
    adapters::media_store::MediaStore,
    api,
    auth::{JwtKeys, LoginLimiter},
    catalog,
    commands::CommandBus,
    config::Settings,
    db,
    event_store::{Cacheable, SharedTracks, SnapshotEventStore},
    read_models,
    state::AppState,
};
use projections::ProjectionEngine;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot connect to PostgreSQL: {0}")]
    Database(#[from] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Media(#[from] crate::adapters::media_store::MediaError),
    #[error("cannot start the projections: {0}")]
    Projections(#[from] projections::ProjectionError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// Every aggregate grows without bound (a queue by every play, a playlist or a library by
/// every edit); loading one reads a snapshot plus fewer than this many events.
const SNAPSHOT_EVERY: usize = 50;

/// What the aggregates kept between commands may take, 24 MB in all: a queue of 100
/// entries takes 3 KB besides its tracks, which all cached aggregates share.
const QUEUE_CACHE_BYTES: u64 = 8 << 20;
const PLAYLIST_CACHE_BYTES: u64 = 8 << 20;
const LIBRARY_CACHE_BYTES: u64 = 2 << 20;
const SHARED_TRACK_BYTES: u64 = 6 << 20;

/// Builds the shared state: pool (migrated), keys, stores.
pub async fn build_state(settings: Settings) -> Result<AppState, StartupError> {
    let pool = db::connect(settings.database_url.expose()).await?;
    db::migrate(&pool).await?;
    let reads = db::connect_reads(settings.database_url.expose()).await?;
    let media = MediaStore::from_settings(&settings)?;
    tracing::info!(backend = media.backend(), "media store ready");
    let (catalog, previews) = catalog::from_settings(&settings);
    tracing::info!(catalog = catalog.name(), "music catalog ready");
    let projections = ProjectionEngine::new(pool.clone(), read_models::all()).await?;
    let tracks = SharedTracks::new(SHARED_TRACK_BYTES);
    let queue = command_bus(&pool, &projections, QUEUE_CACHE_BYTES, &tracks);
    let playlists = command_bus(&pool, &projections, PLAYLIST_CACHE_BYTES, &tracks);
    let library = command_bus(&pool, &projections, LIBRARY_CACHE_BYTES, &tracks);
    Ok(AppState {
        queue,
        playlists,
        library,
        projections,
        pool,
        reads: Arc::new(reads),
        jwt: Arc::new(JwtKeys::new(settings.secret_key.expose().as_bytes())),
        login_limiter: Arc::new(LoginLimiter::default()),
        sessions: Arc::default(),
        views: Arc::default(),
        media,
        catalog,
        previews,
        settings: Arc::new(settings),
    })
}

fn command_bus<A>(
    pool: &sqlx::PgPool,
    projections: &ProjectionEngine,
    cache_bytes: u64,
    tracks: &SharedTracks,
) -> Arc<CommandBus<A>>
where
    A: Cacheable<Services = ()>,
    A::Command: Clone + Send,
    A::Error: Send,
{
    let store = SnapshotEventStore::new(pool.clone(), SNAPSHOT_EVERY, cache_bytes, tracks.clone());
    Arc::new(CommandBus::new(store, projections.clone(), ()))
}

pub struct Application {
    state: AppState,
    acceptor: poem::listener::TcpAcceptor,
    port: u16,
}

impl Application {
    /// Connects, migrates and binds (port 0 picks a free port, for tests).
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let addr = settings.bind;
        let state = build_state(settings).await?;
        let acceptor = TcpListener::bind(addr)
            .into_acceptor()
            .await
            .map_err(|source| StartupError::Bind {
                addr: addr.to_string(),
                source,
            })?;
        let port = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().map(|s| s.port()))
            .unwrap_or(addr.port());
        Ok(Self {
            state,
            acceptor,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT or SIGTERM, then drains in-flight requests (up to 10 s) and
    /// stops the projectors at a checkpoint.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        tracing::info!(port = self.port, "PlayPod listening");
        let (stop_projectors, stopped) = tokio::sync::watch::channel(false);
        let sessions = tokio::spawn(
            self.state
                .sessions
                .clone()
                .listen(self.state.pool.clone(), stopped.clone()),
        );
        let projector = tokio::spawn(self.state.projections.clone().run(stopped));
        let app = api::routes(self.state.clone());
        let served = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown_signal(), Some(Duration::from_secs(10)))
            .await;
        let _ = stop_projectors.send(true);
        let _ = projector.await;
        let _ = sessions.await;
        tracing::info!("stopped");
        served
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: draining in-flight requests");
}
