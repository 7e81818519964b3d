//! The data set, written as the domain events PlayPod itself records (same payloads,
//! event types, versions, 1-based sequences and `{"actor": ..}` metadata as cqrs-es
//! writes), so the read models come from the real rebuild and commands load real
//! aggregates. Users go straight into `users`: they are not event-sourced.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use domain::{
    PlaylistId, TrackSnapshot, UserId,
    library::{Library, LibraryEvent},
    playlist::{EntryId, Playlist, PlaylistEvent},
    queue::{PlaySource, Queue, QueueEntry, QueueEvent},
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::index::sample};
use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{cases, copy};

/// How much to seed; `scaled(1.0)` is issue #7's data set.
#[derive(Debug, Clone)]
pub struct Size {
    pub users: usize,
    pub playlists: usize,
    pub queue_len: usize,
    pub plays_per_user: usize,
    pub favorites_per_user: usize,
    /// Users whose tokens the load spreads over (the first ones seeded).
    pub load_users: usize,
    /// Past events of the heavy queue of the aggregate-cost case.
    pub heavy_events: usize,
}

impl Size {
    pub fn scaled(scale: f64) -> Self {
        let users = ((10_000.0 * scale).round() as usize).max(4);
        Self {
            users,
            // Each load user needs two playlists of its own (see `Seeded`).
            playlists: ((50_000.0 * scale).round() as usize).max(2 * users),
            queue_len: 50,
            plays_per_user: 100,
            favorites_per_user: 10,
            load_users: users.min(2_000),
            // Not scaled: the case compares a long history with a short one.
            heavy_events: 100_000,
        }
    }
}

/// What the load cases need to know about the seeded data.
pub struct Seeded {
    /// Every seeded user; the first `size.load_users` are the load's.
    pub users: Vec<Uuid>,
    /// Per load user: their own playlist of 100 tracks (the detail read).
    pub detail_playlists: Vec<Uuid>,
    /// Per load user: their own 10-track playlist that the add_track case grows, and the
    /// catalog tracks not in it.
    pub add_targets: Vec<(Uuid, Vec<TrackSnapshot>)>,
    /// Owned by the first load user; holds `cases::contended_initial` at the start.
    pub contended_playlist: Uuid,
    pub contended_initial: usize,
    pub heavy_user: Uuid,
    pub light_user: Uuid,
    /// Events written, by event type.
    pub event_counts: BTreeMap<String, u64>,
}

impl Seeded {
    pub fn total_events(&self) -> u64 {
        self.event_counts.values().sum()
    }
}

/// Plays walk the queue up to here and wrap around, so that the `next` case moves along
/// the queue instead of always asking for radio tracks at its end.
const PLAY_WRAP: usize = 40;
const DETAIL_TRACKS: usize = 100;
const ADD_TARGET_TRACKS: usize = 10;
const PASSWORD: &str = "bench-password";

pub async fn recreate_database(server_url: &str, name: &str) -> crate::Result<()> {
    let pool = playpod::db::connect(&format!("{server_url}/postgres")).await?;
    sqlx::query(&format!("drop database if exists {name} with (force)"))
        .execute(&pool)
        .await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(())
}

pub async fn seed(pool: &PgPool, size: &Size, tracks: &[TrackSnapshot]) -> crate::Result<Seeded> {
    playpod::db::migrate(pool).await?;
    let plan = Plan::new(size, tracks);
    // One argon2 hash for everyone: hashing is deliberately slow.
    let hash = playpod::auth::password::hash(PASSWORD.into()).await?;
    copy::users(pool, &plan.all_users(), &hash).await?;

    // Generating JSON and ingesting it both take a core: overlap them.
    let (sender, receiver) = mpsc::channel(2);
    let generator = {
        let (plan, size, tracks) = (plan.clone(), size.clone(), tracks.to_vec());
        tokio::task::spawn_blocking(move || plan.generate(&size, &tracks, sender))
    };
    copy::events(pool, receiver).await?;
    let event_counts = generator.await??;
    Ok(Seeded {
        detail_playlists: plan.detail_playlists(size),
        add_targets: plan.add_targets(size, tracks),
        contended_playlist: plan.contended,
        contended_initial: cases::contended_initial(tracks).len(),
        heavy_user: plan.heavy,
        light_user: plan.light,
        users: plan.users,
        event_counts,
    })
}

/// The ids chosen up front, so the generator and the load cases agree on them.
#[derive(Clone)]
struct Plan {
    users: Vec<Uuid>,
    /// Playlist `i` belongs to user `i % users`: load user `u` owns `u` (100 tracks) and
    /// `users + u` (10 tracks, grown by add_track).
    playlists: Vec<Uuid>,
    /// Each add target's tracks, in catalog-index order of a per-user shuffle.
    add_target_picks: Vec<Vec<usize>>,
    contended: Uuid,
    heavy: Uuid,
    light: Uuid,
}

impl Plan {
    fn new(size: &Size, tracks: &[TrackSnapshot]) -> Self {
        let mut rng = StdRng::seed_from_u64(7);
        Self {
            users: (0..size.users).map(|_| Uuid::now_v7()).collect(),
            playlists: (0..size.playlists).map(|_| Uuid::now_v7()).collect(),
            add_target_picks: (0..size.load_users)
                .map(|_| sample(&mut rng, tracks.len(), tracks.len()).into_vec())
                .collect(),
            contended: Uuid::now_v7(),
            heavy: Uuid::now_v7(),
            light: Uuid::now_v7(),
        }
    }

    fn all_users(&self) -> Vec<Uuid> {
        let mut all = self.users.clone();
        all.extend([self.heavy, self.light]);
        all
    }

    fn detail_playlists(&self, size: &Size) -> Vec<Uuid> {
        self.playlists[..size.load_users].to_vec()
    }

    fn add_targets(
        &self,
        size: &Size,
        tracks: &[TrackSnapshot],
    ) -> Vec<(Uuid, Vec<TrackSnapshot>)> {
        self.add_target_picks
            .iter()
            .enumerate()
            .map(|(u, pick)| {
                let free = pick[ADD_TARGET_TRACKS..].iter().map(|&i| tracks[i].clone());
                (self.playlists[size.users + u], free.collect())
            })
            .collect()
    }

    fn generate(
        &self,
        size: &Size,
        tracks: &[TrackSnapshot],
        sender: mpsc::Sender<Vec<u8>>,
    ) -> crate::Result<BTreeMap<String, u64>> {
        let mut rng = StdRng::seed_from_u64(11);
        let mut out = copy::EventRows::new(sender);
        for (u, &user) in self.users.iter().enumerate() {
            let owned: Vec<usize> = (u..size.playlists).step_by(size.users).collect();
            let source = PlaySource::Playlist {
                playlist_id: PlaylistId::from_uuid(self.playlists[owned[0]]),
            };
            let queue = queue_events(&mut rng, tracks, size, size.plays_per_user, source);
            let times = timeline(&mut rng, queue.len());
            out.aggregate::<Queue>(&user.to_string(), user, &queue, times)?;
            let favorites = favorite_events(&mut rng, tracks, size.favorites_per_user);
            let times = timeline(&mut rng, favorites.len());
            out.aggregate::<Library>(&user.to_string(), user, &favorites, times)?;
            for (k, &p) in owned.iter().enumerate() {
                let picks = match (u < size.load_users, k) {
                    (true, 0) => sample(&mut rng, tracks.len(), DETAIL_TRACKS).into_vec(),
                    (true, 1) => self.add_target_picks[u][..ADD_TARGET_TRACKS].to_vec(),
                    _ => {
                        let n = rng.gen_range(10..=100);
                        sample(&mut rng, tracks.len(), n).into_vec()
                    }
                };
                let chosen: Vec<TrackSnapshot> = picks.iter().map(|&i| tracks[i].clone()).collect();
                let events = playlist_events(&mut rng, self.playlists[p], user, p, &chosen);
                let times = timeline(&mut rng, events.len());
                out.aggregate::<Playlist>(&self.playlists[p].to_string(), user, &events, times)?;
            }
        }
        let owner = self.users[0];
        let initial = cases::contended_initial(tracks);
        let events = playlist_events(&mut rng, self.contended, owner, usize::MAX, &initial);
        let times = timeline(&mut rng, events.len());
        out.aggregate::<Playlist>(&self.contended.to_string(), owner, &events, times)?;

        // 2 + 2 × plays events: QueueReplaced, one TrackEnqueued, then the plays.
        for (user, total) in [(self.heavy, size.heavy_events), (self.light, 10)] {
            let source = PlaySource::Radio {
                seed_track: tracks[0].track_id,
            };
            let mut events = queue_events(&mut rng, tracks, size, (total - 2) / 2, source);
            let entry = QueueEntry::new(Uuid::now_v7(), tracks[1].clone());
            let position = size.queue_len;
            events.insert(1, QueueEvent::TrackEnqueued { entry, position });
            let times = timeline(&mut rng, events.len());
            out.aggregate::<Queue>(&user.to_string(), user, &events, times)?;
        }
        out.finish()
    }
}

/// A queue replaced by `queue_len` tracks, then `plays` plays as `next` records them
/// (PlaybackMoved then TrackPlayed), wrapping at `PLAY_WRAP`.
fn queue_events(
    rng: &mut StdRng,
    tracks: &[TrackSnapshot],
    size: &Size,
    plays: usize,
    source: PlaySource,
) -> Vec<QueueEvent> {
    let entries: Vec<QueueEntry> = sample(rng, tracks.len(), size.queue_len)
        .into_iter()
        .map(|i| QueueEntry::new(Uuid::now_v7(), tracks[i].clone()))
        .collect();
    let mut events = Vec::with_capacity(1 + 2 * plays);
    for play in 0..plays {
        let position = play % PLAY_WRAP.min(entries.len());
        events.push(QueueEvent::PlaybackMoved { position });
        events.push(QueueEvent::TrackPlayed {
            play_id: Uuid::now_v7(),
            entry_id: entries[position].entry_id,
            track: TrackSnapshot::clone(&entries[position].track),
        });
    }
    events.insert(0, QueueEvent::QueueReplaced { entries, source });
    events
}

fn favorite_events(rng: &mut StdRng, tracks: &[TrackSnapshot], n: usize) -> Vec<LibraryEvent> {
    sample(rng, tracks.len(), n)
        .into_iter()
        .map(|i| LibraryEvent::FavoriteAdded {
            entry_id: EntryId::new(),
            track: tracks[i].clone(),
        })
        .collect()
}

fn playlist_events(
    rng: &mut StdRng,
    id: Uuid,
    owner: Uuid,
    number: usize,
    tracks: &[TrackSnapshot],
) -> Vec<PlaylistEvent> {
    let by = UserId::from_uuid(owner);
    let name = match number {
        usize::MAX => "Contended".to_owned(),
        n => format!("Playlist {n}"),
    };
    let created = PlaylistEvent::PlaylistCreated {
        playlist_id: PlaylistId::from_uuid(id),
        owner: by,
        name,
        description: String::new(),
        is_public: rng.gen_bool(0.5),
    };
    let added = tracks
        .iter()
        .enumerate()
        .map(|(position, track)| PlaylistEvent::TrackAdded {
            by,
            entry_id: EntryId::new(),
            track: track.clone(),
            position,
        });
    std::iter::once(created).chain(added).collect()
}

/// When an aggregate's events were recorded: consecutive, within the last 30 days.
fn timeline(rng: &mut StdRng, events: usize) -> impl Iterator<Item = DateTime<Utc>> {
    let window = Duration::days(30);
    let gap = Duration::minutes(10).min(window / (events.max(1) as i32 + 1));
    let slack = (window - gap * events as i32).num_seconds().max(1);
    let start = Utc::now() - window + Duration::seconds(rng.gen_range(0..slack));
    (0..events).map(move |i| start + gap * i as i32)
}
