//! A user's taste as recommendations use it: favourite artists from the read model, and
//! favourite genres derived from the genres of favourite albums.

use std::collections::HashMap;

use futures::future::join_all;
use projections::taste::{self, AlbumTaste, ArtistTaste};
use uuid::Uuid;

use crate::{
    api::error::ApiResult,
    catalog::{Catalog, Genre, GenreId},
    state::AppState,
};

const TOP_ARTISTS: i64 = 5;
/// Albums whose genres are looked up: enough to find the main genres, few enough to ask
/// the catalog about on each request.
const TOP_ALBUMS: i64 = 10;
const TOP_GENRES: usize = 3;

/// Preferences, strongest first, each with its weight relative to the strongest (1.0).
#[derive(Debug, Clone, Default)]
pub struct Taste {
    pub artists: Vec<(ArtistTaste, f64)>,
    /// Never `GenreId::ALL`.
    pub genres: Vec<(Genre, f64)>,
}

/// Empty for a user who has played, kept and favorited nothing.
pub async fn taste(state: &AppState, user: Uuid) -> ApiResult<Taste> {
    let artists = taste::top_artists(&state.pool, user, TOP_ARTISTS).await?;
    let albums = taste::top_albums(&state.pool, user, TOP_ALBUMS).await?;
    let genres = genres_of(state.catalog.as_ref(), &albums).await?;
    Ok(Taste {
        artists: relative(artists, |a| a.score),
        genres,
    })
}

/// Pairs each item with its score divided by the first (highest) one.
fn relative<T>(items: Vec<T>, score: impl Fn(&T) -> f64) -> Vec<(T, f64)> {
    let top = items.first().map(&score).unwrap_or(1.0);
    items
        .into_iter()
        .map(|item| {
            let share = score(&item) / top;
            (item, share)
        })
        .collect()
}

/// The genres of the albums, each scored by the sum of its albums' scores.
async fn genres_of(catalog: &dyn Catalog, albums: &[AlbumTaste]) -> ApiResult<Vec<(Genre, f64)>> {
    let looked_up = join_all(albums.iter().map(|a| async move {
        let id = domain::CatalogId::new(a.album_id as u64).ok()?;
        // An album the catalog no longer knows just tells nothing about genres.
        catalog.album(id).await.ok()?.genre_id
    }))
    .await;
    let mut scores: HashMap<GenreId, f64> = HashMap::new();
    for (genre, album) in looked_up.into_iter().zip(albums) {
        if let Some(genre) = genre.filter(|g| *g != GenreId::ALL) {
            *scores.entry(genre).or_default() += album.score;
        }
    }
    if scores.is_empty() {
        return Ok(Vec::new());
    }
    let mut ranked: Vec<(GenreId, f64)> = scores.into_iter().collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let known: HashMap<GenreId, Genre> = catalog
        .genres()
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let genres = ranked
        .into_iter()
        .filter_map(|(id, score)| Some((known.get(&id)?.clone(), score)))
        .take(TOP_GENRES)
        .collect();
    Ok(relative(genres, |g| g.1)
        .into_iter()
        .map(|((genre, _), share)| (genre, share))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::relative;

    #[test]
    fn weights_are_relative_to_the_strongest() {
        let shares = relative(vec![8.0, 4.0, 1.0], |s| *s);
        assert_eq!(shares, vec![(8.0, 1.0), (4.0, 0.5), (1.0, 0.125)]);
        assert!(relative(Vec::<f64>::new(), |s| *s).is_empty());
    }
}
