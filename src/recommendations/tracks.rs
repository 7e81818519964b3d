//! Tracks to recommend: more of the user's favourite artists and what is related to them,
//! the top of their favourite genres, and the charts to fill up (all a new user gets).
//! Tracks heard in the last hour and favorites are left out: the user has them already.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, Utc};
use domain::CatalogId;
use futures::future::join_all;
use uuid::Uuid;

use super::profile::{self, Taste};
use crate::{
    api::error::ApiResult,
    catalog::{Catalog, Track},
    radio,
    state::AppState,
};

/// The most tracks one request may ask for (the catalog's largest list).
const MAX_LIMIT: usize = 100;
const RECENT: Duration = Duration::hours(1);
/// How much a track related to a favourite artist counts, against the artist's own.
const RELATED: f64 = 0.5;
/// How much a track from the top of a favourite genre counts, and how far down it is read.
const GENRE: f64 = 0.4;
const GENRE_TOP: usize = 50;
/// The charts only fill up: anything personal comes first.
const CHARTS: f64 = 0.05;
/// While other tracks are left, no artist takes more than this share of the answer.
const ARTIST_SHARE: f64 = 0.5;

/// Up to `limit` (at most `MAX_LIMIT`) tracks for `user`, best first, each once.
pub async fn recommend(state: &AppState, user: Uuid, limit: usize) -> ApiResult<Vec<Track>> {
    let taste = profile::taste(state, user).await?;
    let excluded = excluded(state, user).await?;
    let mut ranking = Ranking::default();
    let catalog = state.catalog.as_ref();
    let lists = join_all(
        taste
            .artists
            .iter()
            .map(|(a, _)| related(catalog, a.seed_track_id)),
    );
    for ((artist, share), like_it) in taste.artists.iter().zip(lists.await) {
        ranking.add(&like_it, |t| {
            let own = t.artist.id.get() as i64 == artist.artist_id;
            share * if own { 1.0 } else { RELATED }
        });
    }
    for (tops, share) in genre_tops(catalog, &taste).await {
        ranking.add(&tops, |_| GENRE * share);
    }
    let charts = catalog.chart_tracks(MAX_LIMIT).await?;
    ranking.add(&charts, |_| CHARTS);
    Ok(ranking.best(limit.min(MAX_LIMIT), &excluded))
}

/// Related tracks and the artist's top tracks, as radio mode finds them.
async fn related(catalog: &dyn Catalog, seed: i64) -> Vec<Track> {
    let Ok(seed) = CatalogId::new(seed as u64) else {
        return Vec::new();
    };
    // Without them the other sources still answer; the charts report an outage.
    radio::candidates(catalog, Some(seed))
        .await
        .unwrap_or_default()
}

/// Each favourite genre's top tracks with the genre's weight.
async fn genre_tops(catalog: &dyn Catalog, taste: &Taste) -> Vec<(Vec<Track>, f64)> {
    join_all(taste.genres.iter().map(|(genre, share)| async move {
        let tracks = catalog.genre_top_tracks(genre.id, GENRE_TOP).await;
        (tracks.unwrap_or_default(), *share)
    }))
    .await
}

/// Tracks the user heard in the last hour, and their favorites.
async fn excluded(state: &AppState, user: Uuid) -> ApiResult<HashSet<i64>> {
    let recent = projections::queue::recently_played(&state.pool, user, Utc::now() - RECENT);
    let favorites = sqlx::query_scalar("select track_id from favorites where user_id = $1")
        .bind(user)
        .fetch_all(&state.pool);
    let (recent, favorites): (Vec<i64>, Vec<i64>) = futures::try_join!(recent, favorites)?;
    Ok(recent.into_iter().chain(favorites).collect())
}

/// Candidates with the sum of the weights of the lists they were found in.
#[derive(Default)]
struct Ranking {
    candidates: HashMap<CatalogId, Candidate>,
}

struct Candidate {
    track: Track,
    score: f64,
    /// Ties go to the track found first.
    found: usize,
}

impl Ranking {
    /// Adds a list, best first: a track counts `weight(track)`, less the further down it is.
    fn add(&mut self, tracks: &[Track], weight: impl Fn(&Track) -> f64) {
        for (rank, track) in tracks.iter().enumerate() {
            let score = weight(track) / (1.0 + rank as f64 / 10.0);
            let found = self.candidates.len();
            self.candidates
                .entry(track.id)
                .or_insert_with(|| Candidate {
                    track: track.clone(),
                    score: 0.0,
                    found,
                })
                .score += score;
        }
    }

    /// The best `limit` tracks not in `excluded`, sharing out artists while others are left.
    fn best(self, limit: usize, excluded: &HashSet<i64>) -> Vec<Track> {
        let mut ranked: Vec<Candidate> = self
            .candidates
            .into_values()
            .filter(|c| !excluded.contains(&(c.track.id.get() as i64)))
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.found.cmp(&b.found)));
        let per_artist = ((limit as f64 * ARTIST_SHARE).ceil() as usize).max(1);
        let mut by_artist: HashMap<CatalogId, usize> = HashMap::new();
        let (mut chosen, mut held_back) = (Vec::new(), Vec::new());
        for candidate in ranked {
            let count = by_artist.entry(candidate.track.artist.id).or_default();
            if *count < per_artist {
                *count += 1;
                chosen.push(candidate.track);
            } else {
                held_back.push(candidate.track);
            }
        }
        chosen.extend(held_back);
        chosen.truncate(limit);
        chosen
    }
}

#[cfg(test)]
mod tests {
    use domain::CatalogId;

    use super::*;
    use crate::catalog::{AlbumRef, ArtistRef};

    fn track(id: u64, artist: u64) -> Track {
        let id = CatalogId::new(id).unwrap();
        Track {
            id,
            title: format!("track {id}"),
            duration: 200,
            preview: String::new(),
            track_position: None,
            artist: ArtistRef {
                id: CatalogId::new(artist).unwrap(),
                name: format!("artist {artist}"),
            },
            album: AlbumRef {
                id,
                title: String::new(),
                cover_medium: String::new(),
            },
        }
    }

    fn ids(tracks: &[Track]) -> Vec<u64> {
        tracks.iter().map(|t| t.id.get()).collect()
    }

    #[test]
    fn tracks_found_by_several_sources_rise_and_excluded_ones_go() {
        let mut ranking = Ranking::default();
        ranking.add(&[track(1, 1), track(2, 2), track(3, 3)], |_| 1.0);
        ranking.add(&[track(3, 3), track(4, 4)], |_| 0.5);
        let best = ranking.best(3, &HashSet::from([2]));
        assert_eq!(ids(&best), vec![3, 1, 4]);
    }

    #[test]
    fn one_artist_fills_at_most_half_while_others_are_left() {
        let mut ranking = Ranking::default();
        ranking.add(&(1..=6).map(|i| track(i, 1)).collect::<Vec<_>>(), |_| 1.0);
        ranking.add(&[track(7, 2)], |_| 0.01);
        assert_eq!(ids(&ranking.best(4, &HashSet::new())), vec![1, 2, 7, 3]);
    }
}
