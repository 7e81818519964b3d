//! Builds `data/catalog/catalog.json.gz` from recorded Deezer responses. Run it (only
//! when the recordings change) with:
//!
//! ```sh
//! PLAYPOD_DEEZER_FIXTURES=../shared/deezer-fixtures \
//!     cargo test -p playpod --lib regenerate_bundled_catalog -- --ignored
//! ```
//!
//! Every track, artist, album and genre object found anywhere in the recordings is
//! collected (Deezer tags each with `"type"`), merged by id, and normalised.

use std::{
    collections::{BTreeMap, BTreeSet},
    io::Write,
    path::{Path, PathBuf},
};

use domain::CatalogId;
use serde_json::Value;

use super::data::{AlbumRecord, CatalogData, ChartRecord, TrackRecord};
use crate::catalog::{Artist, Genre, GenreId};

#[derive(Default)]
struct Collector {
    tracks: BTreeMap<u64, PartialTrack>,
    albums: BTreeMap<u64, PartialAlbum>,
    artists: BTreeMap<u64, PartialArtist>,
    genres: BTreeMap<u64, PartialGenre>,
    genre_order: Vec<u64>,
    charts: BTreeMap<u64, (Vec<u64>, Vec<u64>)>,
}

#[derive(Default)]
struct PartialTrack {
    title: Option<String>,
    duration: Option<u32>,
    track_position: Option<u32>,
    artist: Option<u64>,
    album: Option<u64>,
    rank: u64,
}

#[derive(Default)]
struct PartialAlbum {
    title: Option<String>,
    cover_medium: Option<String>,
    cover_xl: Option<String>,
    release_date: Option<String>,
    artist: Option<u64>,
    genre: Option<u64>,
    fans: u64,
}

#[derive(Default)]
struct PartialArtist {
    name: Option<String>,
    picture_medium: Option<String>,
    picture_xl: Option<String>,
    nb_album: u32,
    nb_fan: u64,
}

#[derive(Default)]
struct PartialGenre {
    name: Option<String>,
    picture_medium: Option<String>,
}

/// The first non-empty value seen wins: full entity files are read first.
fn keep(slot: &mut Option<String>, value: &Value) {
    if slot.is_none()
        && let Some(s) = value.as_str().filter(|s| !s.is_empty())
    {
        *slot = Some(s.to_owned());
    }
}

fn positive(value: &Value) -> Option<u64> {
    value.as_i64().filter(|v| *v > 0).map(|v| v as u64)
}

fn id_of(value: &Value) -> Option<u64> {
    positive(&value["id"])
}

/// What a file's path says about the objects inside it: the tracks of
/// `album/302127/tracks.json` carry no album, the albums of `artist/27/albums.json` no
/// artist.
#[derive(Clone, Copy, Default)]
struct Context {
    album: Option<u64>,
    artist: Option<u64>,
}

fn context(relative: &str) -> Context {
    let parts: Vec<&str> = relative.trim_end_matches(".json").split('/').collect();
    let id = parts.get(1).and_then(|p| p.parse::<u64>().ok());
    match (parts[0], parts.get(2)) {
        ("album", None) => Context {
            album: id,
            artist: None,
        },
        ("album", Some(list)) if list.starts_with("tracks") => Context {
            album: id,
            artist: None,
        },
        ("artist", Some(list)) if list.starts_with("albums") => Context {
            album: None,
            artist: id,
        },
        _ => Context::default(),
    }
}

impl Collector {
    fn walk(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::Object(map) => {
                if let Some(id) = id_of(value) {
                    match map.get("type").and_then(Value::as_str) {
                        Some("track") => self.track(id, value, ctx),
                        Some("album") => self.album(id, value, ctx),
                        Some("artist") => self.artist(id, value),
                        Some("genre") => self.genre(id, value),
                        _ => {}
                    }
                }
                map.values().for_each(|v| self.walk(v, ctx));
            }
            Value::Array(items) => items.iter().for_each(|v| self.walk(v, ctx)),
            _ => {}
        }
    }

    fn track(&mut self, id: u64, v: &Value, ctx: Context) {
        let t = self.tracks.entry(id).or_default();
        keep(&mut t.title, &v["title"]);
        t.duration = t.duration.or(v["duration"].as_u64().map(|d| d as u32));
        t.track_position = t
            .track_position
            .or(positive(&v["track_position"]).map(|p| p as u32));
        t.artist = t.artist.or(id_of(&v["artist"]));
        t.album = t.album.or(id_of(&v["album"])).or(ctx.album);
        t.rank = t.rank.max(v["rank"].as_u64().unwrap_or(0));
    }

    fn album(&mut self, id: u64, v: &Value, ctx: Context) {
        let a = self.albums.entry(id).or_default();
        keep(&mut a.title, &v["title"]);
        keep(&mut a.cover_medium, &v["cover_medium"]);
        keep(&mut a.cover_xl, &v["cover_xl"]);
        keep(&mut a.release_date, &v["release_date"]);
        a.artist = a.artist.or(id_of(&v["artist"])).or(ctx.artist);
        a.genre = a.genre.or(positive(&v["genre_id"]));
        a.fans = a.fans.max(v["fans"].as_u64().unwrap_or(0));
    }

    fn artist(&mut self, id: u64, v: &Value) {
        let a = self.artists.entry(id).or_default();
        keep(&mut a.name, &v["name"]);
        keep(&mut a.picture_medium, &v["picture_medium"]);
        keep(&mut a.picture_xl, &v["picture_xl"]);
        a.nb_album = a.nb_album.max(v["nb_album"].as_u64().unwrap_or(0) as u32);
        a.nb_fan = a.nb_fan.max(v["nb_fan"].as_u64().unwrap_or(0));
    }

    fn genre(&mut self, id: u64, v: &Value) {
        let g = self.genres.entry(id).or_default();
        keep(&mut g.name, &v["name"]);
        keep(&mut g.picture_medium, &v["picture_medium"]);
    }

    /// Genre 0 ("All") appears only in lists, where `id_of` skips it: take the genre
    /// list and chart files explicitly.
    fn lists(&mut self, relative: &str, value: &Value) {
        let ids = |list: &Value| -> Vec<u64> {
            list.as_array()
                .map(|items| items.iter().filter_map(id_of).collect())
                .unwrap_or_default()
        };
        let parts: Vec<&str> = relative.trim_end_matches(".json").split('/').collect();
        match parts.as_slice() {
            ["genre"] => {
                for g in value["data"].as_array().into_iter().flatten() {
                    if let Some(id) = g["id"].as_u64() {
                        self.genre_order.push(id);
                        let entry = self.genres.entry(id).or_default();
                        keep(&mut entry.name, &g["name"]);
                        keep(&mut entry.picture_medium, &g["picture_medium"]);
                    }
                }
            }
            ["chart", genre, rest @ ..] => {
                let Ok(genre) = genre.parse::<u64>() else {
                    return;
                };
                let chart = self.charts.entry(genre).or_default();
                let (tracks, albums) = match rest {
                    [] => (ids(&value["tracks"]["data"]), ids(&value["albums"]["data"])),
                    [name] if name.starts_with("tracks") => (ids(&value["data"]), vec![]),
                    [name] if name.starts_with("albums") => (vec![], ids(&value["data"])),
                    _ => (vec![], vec![]),
                };
                merge_order(&mut chart.0, tracks);
                merge_order(&mut chart.1, albums);
            }
            _ => {}
        }
    }

    fn finish(mut self) -> CatalogData {
        for t in self.tracks.values() {
            if let (Some(album), Some(artist)) = (t.album, t.artist) {
                let a = self.albums.entry(album).or_default();
                a.artist = a.artist.or(Some(artist));
            }
        }
        let albums: Vec<AlbumRecord> = self
            .albums
            .iter()
            .filter_map(|(&id, a)| {
                Some(AlbumRecord {
                    id: catalog_id(id),
                    title: a.title.clone()?,
                    cover_medium: a.cover_medium.clone()?,
                    cover_xl: a.cover_xl.clone()?,
                    release_date: a.release_date.clone(),
                    artist_id: catalog_id(a.artist.filter(|x| self.artists.contains_key(x))?),
                    genre_id: a.genre.map(GenreId::new),
                    fans: a.fans,
                })
            })
            .collect();
        let album_ids: BTreeSet<u64> = albums.iter().map(|a| a.id.get()).collect();
        // A track whose album was never recorded (album/6770790 lists tracks only) is
        // left out: that album would have no title and no cover.
        let tracks: Vec<TrackRecord> = self
            .tracks
            .iter()
            .filter_map(|(&id, t)| {
                Some(TrackRecord {
                    id: catalog_id(id),
                    title: t.title.clone()?,
                    duration: t.duration?,
                    track_position: t.track_position,
                    artist_id: catalog_id(t.artist.filter(|x| self.artists.contains_key(x))?),
                    album_id: catalog_id(t.album.filter(|x| album_ids.contains(x))?),
                    rank: t.rank,
                })
            })
            .collect();
        let mut albums_per_artist: BTreeMap<u64, u32> = BTreeMap::new();
        for a in &albums {
            *albums_per_artist.entry(a.artist_id.get()).or_default() += 1;
        }
        let artists = self
            .artists
            .iter()
            .filter_map(|(&id, a)| {
                Some(Artist {
                    id: catalog_id(id),
                    name: a.name.clone()?,
                    picture_medium: a.picture_medium.clone(),
                    picture_xl: a.picture_xl.clone(),
                    nb_album: a
                        .nb_album
                        .max(albums_per_artist.get(&id).copied().unwrap_or(0)),
                    nb_fan: a.nb_fan,
                })
            })
            .collect();
        let track_ids: BTreeSet<u64> = tracks.iter().map(|t| t.id.get()).collect();
        let charts = self
            .charts
            .iter()
            .map(|(&genre, (t, a))| ChartRecord {
                genre_id: GenreId::new(genre),
                tracks: t
                    .iter()
                    .filter(|id| track_ids.contains(id))
                    .map(|&id| catalog_id(id))
                    .collect(),
                albums: a
                    .iter()
                    .filter(|id| album_ids.contains(id))
                    .map(|&id| catalog_id(id))
                    .collect(),
            })
            .collect();
        let mut order = self.genre_order.clone();
        order.extend(
            self.genres
                .keys()
                .filter(|id| !self.genre_order.contains(id)),
        );
        let genres = order
            .into_iter()
            .filter_map(|id| {
                let g = self.genres.remove(&id)?;
                Some(Genre {
                    id: GenreId::new(id),
                    name: g.name?,
                    picture_medium: g.picture_medium,
                })
            })
            .collect();
        CatalogData {
            genres,
            artists,
            albums,
            tracks,
            charts,
        }
    }
}

fn merge_order(into: &mut Vec<u64>, ids: Vec<u64>) {
    for id in ids {
        if !into.contains(&id) {
            into.push(id);
        }
    }
}

fn catalog_id(id: u64) -> CatalogId {
    CatalogId::new(id).expect("positive ids only are collected")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable fixture folder") {
        let path = entry.expect("fixture entry").path();
        if path.is_dir() {
            json_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// Full entity files (`track/3135556.json`) first, so their fields win over the partial
/// copies in lists; otherwise in path order, for a reproducible output.
fn read_order(relative: &str) -> (bool, String) {
    let parts: Vec<&str> = relative.trim_end_matches(".json").split('/').collect();
    let full = matches!(parts.as_slice(), [_, id] if id.parse::<u64>().is_ok());
    (!full, relative.to_owned())
}

pub(crate) fn build(root: &Path) -> CatalogData {
    let mut files = Vec::new();
    json_files(root, &mut files);
    let mut relative: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, p)
        })
        .collect();
    relative.sort_by_key(|(rel, _)| read_order(rel));
    let mut collector = Collector::default();
    for (rel, path) in relative {
        let text = std::fs::read_to_string(&path).expect("readable fixture");
        let value: Value = serde_json::from_str(&text).expect("fixture is JSON");
        collector.lists(&rel, &value);
        collector.walk(&value, context(&rel));
    }
    collector.finish()
}

#[test]
#[ignore = "regenerates data/catalog from PLAYPOD_DEEZER_FIXTURES"]
fn regenerate_bundled_catalog() {
    let root = std::env::var("PLAYPOD_DEEZER_FIXTURES")
        .expect("PLAYPOD_DEEZER_FIXTURES names the recorded responses folder");
    let data = build(Path::new(&root));
    let json = serde_json::to_vec(&data).unwrap();
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/catalog/catalog.json.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&json).unwrap();
    std::fs::write(&out, gz.finish().unwrap()).unwrap();
    println!(
        "{} genres, {} artists, {} albums, {} tracks, {} charts -> {}",
        data.genres.len(),
        data.artists.len(),
        data.albums.len(),
        data.tracks.len(),
        data.charts.len(),
        out.display()
    );
}
