//! The load cases and the request lines each replays.

use domain::TrackSnapshot;
use uuid::Uuid;

use crate::{
    seed::Seeded,
    wrk::{Line, THREADS},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    /// Touches no database: what the HTTP stack alone costs.
    Baseline,
    Write,
    /// Every connection on one playlist, as its owner.
    Contended,
}

pub struct Case {
    pub name: &'static str,
    pub request: &'static str,
    pub kind: Kind,
    /// The original Python PlayPod's req/s, where issue #7 gives it.
    pub python_per_second: Option<f64>,
    /// Of a write case: each load user's first request, sent once before `lines` are
    /// measured (see `cold_pass`).
    pub cold_pass: Vec<Line>,
    pub lines: Vec<Vec<Line>>,
}

/// Lines per thread of a write case: more than a 15 s run sends, so the lines do not
/// wrap around (a second add of the same track would be refused).
const WRITE_LINES_PER_THREAD: usize = 40_000;
/// Enqueues one user may make: seeded queues hold 50 entries of at most 1000.
const ENQUEUES_PER_USER: usize = 900;
/// How far the removal of a track trails its addition in the contended case, in
/// add/remove pairs of one thread: far beyond the requests one thread has in flight.
const CONTENDED_LAG: usize = 200;

pub fn all(seeded: &Seeded, tracks: &[TrackSnapshot], load_users: usize) -> Vec<Case> {
    let track = |i: usize| tracks[i % tracks.len()].track_id;
    let reads =
        |f: &dyn Fn(usize, usize) -> Line| spread(load_users, 1.max(tracks.len() / load_users), f);
    // Round 0 of each user goes to the cold pass, the later rounds to wrk.
    let writes = |per_user: usize, f: &dyn Fn(usize, usize) -> Line| {
        let users_per_thread = load_users.div_ceil(THREADS);
        let rounds = (per_user - 1).min(WRITE_LINES_PER_THREAD.div_ceil(users_per_thread));
        let cold_pass = (0..load_users).map(|u| f(u, 0)).collect();
        (cold_pass, spread(load_users, rounds, &|u, r| f(u, r + 1)))
    };
    let free_tracks = seeded
        .add_targets
        .iter()
        .map(|(_, free)| free.len())
        .min()
        .unwrap_or(0);
    vec![
        Case {
            name: "queue tracks",
            request: "GET /api/playlists/queue/tracks/ (50 tracks)",
            kind: Kind::Read,
            python_per_second: Some(120.0),
            cold_pass: Vec::new(),
            lines: reads(&|u, _| Line::new("GET", "/api/playlists/queue/tracks/".into(), u)),
        },
        Case {
            name: "playlist list",
            request: "GET /api/playlists/playlists/?limit=20",
            kind: Kind::Read,
            python_per_second: Some(32.0),
            cold_pass: Vec::new(),
            lines: reads(&|u, _| Line::new("GET", "/api/playlists/playlists/?limit=20".into(), u)),
        },
        Case {
            name: "playlist detail",
            request: "GET /api/playlists/playlists/{id}/ (100 tracks)",
            kind: Kind::Read,
            python_per_second: None,
            cold_pass: Vec::new(),
            lines: reads(&|u, _| {
                let path = format!("/api/playlists/playlists/{}/", seeded.detail_playlists[u]);
                Line::new("GET", path, u)
            }),
        },
        Case {
            name: "play history",
            request: "GET /api/playlists/queue/history/?limit=50",
            kind: Kind::Read,
            python_per_second: None,
            cold_pass: Vec::new(),
            lines: reads(&|u, _| {
                Line::new("GET", "/api/playlists/queue/history/?limit=50".into(), u)
            }),
        },
        Case {
            name: "catalog track",
            request: "GET /api/catalogue/tracks/{id}/ (bundled catalog)",
            kind: Kind::Read,
            python_per_second: None,
            cold_pass: Vec::new(),
            lines: reads(&|u, r| {
                Line::new(
                    "GET",
                    format!("/api/catalogue/tracks/{}/", track(u * 31 + r)),
                    u,
                )
            }),
        },
        Case {
            name: "liveness",
            request: "GET /health/live (no database)",
            kind: Kind::Baseline,
            python_per_second: None,
            cold_pass: Vec::new(),
            lines: reads(&|u, _| Line::new("GET", "/health/live".into(), u)),
        },
        write_case(
            "enqueue",
            "POST /api/playlists/queue/enqueue/",
            writes(ENQUEUES_PER_USER, &|u, r| {
                Line::new("POST", "/api/playlists/queue/enqueue/".into(), u)
                    .with_body(format!(r#"{{"track_id":"{}"}}"#, track(u * 31 + r)))
            }),
        ),
        write_case(
            "add track",
            "POST /api/playlists/playlists/{id}/add_track/ (own playlist)",
            writes(free_tracks, &|u, r| {
                let (playlist, free) = &seeded.add_targets[u];
                let path = format!("/api/playlists/playlists/{playlist}/add_track/");
                Line::new("POST", path, u)
                    .with_body(format!(r#"{{"track_id":"{}"}}"#, free[r].track_id))
            }),
        ),
        write_case(
            "next",
            "POST /api/playlists/queue/next/",
            writes(usize::MAX, &|u, _| {
                Line::new("POST", "/api/playlists/queue/next/".into(), u)
            }),
        ),
        Case {
            name: "one playlist",
            request: "add_track + remove_track, every connection on one playlist",
            kind: Kind::Contended,
            python_per_second: None,
            cold_pass: Vec::new(),
            lines: contended_lines(seeded.contended_playlist, tracks),
        },
    ]
}

fn write_case(
    name: &'static str,
    request: &'static str,
    (cold_pass, lines): (Vec<Line>, Vec<Vec<Line>>),
) -> Case {
    Case {
        name,
        request,
        kind: Kind::Write,
        python_per_second: None,
        cold_pass,
        lines,
    }
}

/// `rounds` lines for each load user, users interleaved; a user's lines all go to one
/// thread (user `u` to thread `u % THREADS`), so they are sent in order.
fn spread(load_users: usize, rounds: usize, line: &dyn Fn(usize, usize) -> Line) -> Vec<Vec<Line>> {
    (0..THREADS)
        .map(|thread| {
            let users: Vec<usize> = (thread..load_users).step_by(THREADS).collect();
            (0..rounds)
                .flat_map(|r| users.iter().map(move |&u| (u, r)))
                .map(|(u, r)| line(u, r))
                .collect()
        })
        .collect()
}

/// Each thread's own tracks, in the order it adds them: every `THREADS`-th track of the
/// catalog, so no thread can meet a track another one holds, whatever their pace.
fn contended_cycles(tracks: &[TrackSnapshot]) -> Vec<Vec<&TrackSnapshot>> {
    (0..THREADS)
        .map(|thread| tracks.iter().skip(thread).step_by(THREADS).collect())
        .collect()
}

fn lag(cycle: usize) -> usize {
    CONTENDED_LAG.min(cycle / 2)
}

/// What the contended playlist holds before the run: the tracks each thread removes
/// before it first adds them, so every request of the cycle is valid.
pub fn contended_initial(tracks: &[TrackSnapshot]) -> Vec<TrackSnapshot> {
    contended_cycles(tracks)
        .into_iter()
        .flat_map(|cycle| {
            let from = cycle.len() - lag(cycle.len());
            cycle[from..].iter().map(|&t| t.clone()).collect::<Vec<_>>()
        })
        .collect()
}

/// Per thread, a cycle over its tracks: add track `j`, remove track `j - lag`. The
/// playlist never holds a track twice, never misses one being removed, and its size
/// stays at `lag` per thread however long wrk runs. The catalog's 904 tracks cannot
/// sustain 15 s of adds alone: a track is refused the second time.
fn contended_lines(playlist: Uuid, tracks: &[TrackSnapshot]) -> Vec<Vec<Line>> {
    let base = format!("/api/playlists/playlists/{playlist}");
    contended_cycles(tracks)
        .into_iter()
        .map(|cycle| {
            let (n, lag) = (cycle.len(), lag(cycle.len()));
            (0..n)
                .flat_map(|j| {
                    let add = Line::new("POST", format!("{base}/add_track/"), 0)
                        .with_body(format!(r#"{{"track_id":"{}"}}"#, cycle[j].track_id));
                    let gone = cycle[(j + n - lag) % n].track_id;
                    let remove =
                        Line::new("DELETE", format!("{base}/remove_track/?track_id={gone}"), 0);
                    [add, remove]
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap};

    use domain::CatalogId;

    use super::*;

    fn catalog(n: u64) -> Vec<TrackSnapshot> {
        (1..=n)
            .map(|i| TrackSnapshot {
                track_id: CatalogId::new(i).unwrap(),
                title: format!("T{i}"),
                artist_id: CatalogId::new(1).unwrap(),
                artist_name: "A".into(),
                album_id: None,
                album_title: "B".into(),
                album_cover: String::new(),
                duration: 1,
            })
            .collect()
    }

    /// Whether the line adds, and the track it names.
    fn op(line: &Line) -> (bool, String) {
        let adds = line.method == "POST";
        let text = if adds { &line.body } else { &line.path };
        let id = text.split("track_id").nth(1).unwrap();
        (adds, id.chars().filter(char::is_ascii_digit).collect())
    }

    fn ids(tracks: &[TrackSnapshot]) -> BTreeSet<String> {
        tracks.iter().map(|t| t.track_id.to_string()).collect()
    }

    #[test]
    fn no_track_is_named_by_two_threads() {
        let lines = contended_lines(Uuid::nil(), &catalog(904));
        assert_eq!(lines.len(), THREADS);
        let named: Vec<BTreeSet<String>> = lines
            .iter()
            .map(|thread| thread.iter().map(|l| op(l).1).collect())
            .collect();
        for (a, first) in named.iter().enumerate() {
            for second in &named[a + 1..] {
                assert!(first.is_disjoint(second));
            }
        }
    }

    /// Each thread alone, in order and wrapping around as wrk does, from the seeded
    /// content: the other threads cannot interfere, as they name other tracks.
    #[test]
    fn every_line_is_valid_and_a_whole_cycle_restores_the_playlist() {
        for n in [904, 905, 40] {
            let tracks = catalog(n);
            let initial = ids(&contended_initial(&tracks));
            let mut held = initial.clone();
            for thread in contended_lines(Uuid::nil(), &tracks) {
                for line in thread.iter().chain(&thread) {
                    let (adds, track) = op(line);
                    if adds {
                        assert!(held.insert(track), "{n} tracks: added twice");
                    } else {
                        assert!(held.remove(&track), "{n} tracks: removed while absent");
                    }
                }
            }
            assert_eq!(held, initial);
        }
    }

    /// wrk sends a thread's lines in order, but the server may take the requests in
    /// flight in any order: two lines naming one track must be further apart than all
    /// the default 64 connections could have in flight.
    #[test]
    fn lines_naming_one_track_are_far_apart() {
        for thread in contended_lines(Uuid::nil(), &catalog(904)) {
            let mut at: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, line) in thread.iter().enumerate() {
                at.entry(op(line).1).or_default().push(i);
            }
            for positions in at.values() {
                let [first, second] = positions[..] else {
                    panic!("a track named {} times", positions.len())
                };
                let apart = second - first;
                assert!(apart.min(thread.len() - apart) > 64);
            }
        }
    }
}
