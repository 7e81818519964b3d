//! Radio mode: tracks related to what the user has been playing, skipping what they heard
//! in the last hour. It never comes back empty while the catalog answers: related tracks,
//! then the artist's top tracks, then the charts, and only then tracks heard recently.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use domain::{CatalogId, TrackSnapshot};
use uuid::Uuid;

use crate::{
    api::error::ApiError,
    catalog::{Catalog, Track},
    state::AppState,
};

const BATCH: usize = 10;
const RECENT: Duration = Duration::hours(1);

/// Up to `BATCH` tracks to append when the queue runs out, seeded by `seed` (usually the
/// track that just played).
pub async fn radio_tracks(
    state: &AppState,
    user: Uuid,
    seed: Option<CatalogId>,
) -> Result<Vec<TrackSnapshot>, ApiError> {
    let recent: HashSet<u64> =
        projections::queue::recently_played(&state.pool, user, Utc::now() - RECENT)
            .await?
            .into_iter()
            .map(|id| id as u64)
            .collect();
    let candidates = candidates(state.catalog.as_ref(), seed).await?;
    let fresh: Vec<TrackSnapshot> = candidates
        .iter()
        .filter(|t| !recent.contains(&t.id.get()) && Some(t.id) != seed)
        .take(BATCH)
        .map(Track::snapshot)
        .collect();
    if !fresh.is_empty() {
        return Ok(fresh);
    }
    Ok(candidates.iter().take(BATCH).map(Track::snapshot).collect())
}

/// Tracks like `seed`: related ones, then its artist's top tracks; the charts when there is
/// no seed or the catalog knows nothing related. Each track once, in that order.
pub async fn candidates(
    catalog: &dyn Catalog,
    seed: Option<CatalogId>,
) -> Result<Vec<Track>, ApiError> {
    let mut found = Vec::new();
    if let Some(seed) = seed {
        found.extend(catalog.related_tracks(seed, 25).await.unwrap_or_default());
        if let Ok(track) = catalog.track(seed).await {
            found.extend(
                catalog
                    .artist_top_tracks(track.artist.id, 25)
                    .await
                    .unwrap_or_default(),
            );
        }
    }
    if found.is_empty() {
        found = catalog.chart_tracks(50).await?;
    }
    let mut seen = HashSet::new();
    found.retain(|t| seen.insert(t.id));
    Ok(found)
}
