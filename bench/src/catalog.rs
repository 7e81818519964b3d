//! Real tracks for the seed and the load: ids read from the bundled catalog file,
//! snapshots taken through PlayPod's own bundled catalog, so every seeded event names a
//! track the server knows and every catalogue read hits.

use std::io::Read;

use domain::{CatalogId, TrackSnapshot};
use playpod::catalog::{Catalog, bundled::BundledCatalog};
use serde::Deserialize;

/// The file the server compiles in; its loader is private, so only the ids are read here.
const COMPRESSED: &[u8] = include_bytes!("../../data/catalog/catalog.json.gz");

#[derive(Deserialize)]
struct CatalogIds {
    tracks: Vec<IdOnly>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: CatalogId,
}

pub async fn tracks() -> crate::Result<Vec<TrackSnapshot>> {
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(COMPRESSED).read_to_end(&mut json)?;
    let ids: CatalogIds = serde_json::from_slice(&json)?;
    let catalog = BundledCatalog::load();
    let mut tracks = Vec::with_capacity(ids.tracks.len());
    for IdOnly { id } in ids.tracks {
        tracks.push(catalog.track(id).await?.snapshot());
    }
    Ok(tracks)
}
