//! Rendered answers kept in memory in a compact form, written out as JSON on each request.
//!
//! A queue, a playlist or a page of plays is mostly track metadata, and the same tracks
//! recur across every user's answers; a list of playlists is mostly the same public
//! playlists for every viewer. Those parts are rendered once as JSON, held by one
//! `Arc<str>` (see [`Interner`]), and shared by every answer that shows them. Each answer
//! keeps only what is its own (an entry's id, position and time) as values: a 100-track
//! playlist costs under 5 KB instead of about 40 KB of JSON.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::Serialize;
use uuid::Uuid;

/// An answer: `head`, the items as a JSON array, then `tail`.
#[derive(Debug)]
pub struct KeptJson {
    head: Box<str>,
    items: Items,
    tail: Box<str>,
}

/// The items of an answer's array, each an object of its own members and a shared piece.
#[derive(Debug)]
pub enum Items {
    /// `{"id","position",<track>}`
    Queue(Box<[QueueItem]>),
    /// `{"id","played_at",<track>}`
    Plays(Box<[Play]>),
    /// `{"id","position","added_at",<track>}`
    PlaylistTracks(Box<[PlaylistItem]>),
    /// Objects shared whole.
    Shared(Box<[Arc<str>]>),
}

#[derive(Debug)]
pub struct QueueItem {
    pub id: Uuid,
    pub position: i32,
    pub track: Arc<str>,
}

#[derive(Debug)]
pub struct Play {
    pub id: Uuid,
    pub played_at: DateTime<Utc>,
    pub track: Arc<str>,
}

#[derive(Debug)]
pub struct PlaylistItem {
    pub id: Uuid,
    pub position: i32,
    pub added_at: DateTime<Utc>,
    pub track: Arc<str>,
}

impl KeptJson {
    pub fn new(head: impl Into<Box<str>>, items: Items, tail: impl Into<Box<str>>) -> Self {
        Self {
            head: head.into(),
            items,
            tail: tail.into(),
        }
    }

    /// An answer that is one array of items.
    pub fn array(items: Items) -> Self {
        Self::new("", items, "")
    }

    /// The answer's bytes.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rendered_len());
        out.extend_from_slice(self.head.as_bytes());
        out.push(b'[');
        match &self.items {
            Items::Queue(items) => each(&mut out, items, |out, item| {
                id(out, item.id);
                number(out, ",\"position\":", item.position);
                piece(out, &item.track);
            }),
            Items::Plays(items) => each(&mut out, items, |out, item| {
                id(out, item.id);
                time(out, ",\"played_at\":", item.played_at);
                piece(out, &item.track);
            }),
            Items::PlaylistTracks(items) => each(&mut out, items, |out, item| {
                id(out, item.id);
                number(out, ",\"position\":", item.position);
                time(out, ",\"added_at\":", item.added_at);
                piece(out, &item.track);
            }),
            Items::Shared(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(item.as_bytes());
                }
            }
        }
        out.push(b']');
        out.extend_from_slice(self.tail.as_bytes());
        out
    }

    /// About what `render` writes: the shared pieces and a generous size per own member.
    fn rendered_len(&self) -> usize {
        let items = match &self.items {
            Items::Queue(items) => items.iter().map(|i| i.track.len() + 64).sum(),
            Items::Plays(items) => items.iter().map(|i| i.track.len() + 100).sum(),
            Items::PlaylistTracks(items) => items.iter().map(|i| i.track.len() + 120).sum(),
            Items::Shared(items) => items.iter().map(|i| i.len() + 1).sum::<usize>(),
        };
        self.head.len() + items + self.tail.len() + 2
    }

    /// What this answer holds of its own, in bytes (shared pieces are counted where they
    /// are interned).
    pub fn own_size(&self) -> usize {
        let items = match &self.items {
            Items::Queue(items) => size_of_val::<[QueueItem]>(items),
            Items::Plays(items) => size_of_val::<[Play]>(items),
            Items::PlaylistTracks(items) => size_of_val::<[PlaylistItem]>(items),
            Items::Shared(items) => size_of_val::<[Arc<str>]>(items),
        };
        size_of::<Self>() + self.head.len() + self.tail.len() + items
    }
}

/// Writes each item as `{…}`, separated by commas; `members` writes an item's members.
fn each<T>(out: &mut Vec<u8>, items: &[T], members: impl Fn(&mut Vec<u8>, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        members(out, item);
        out.push(b'}');
    }
}

fn id(out: &mut Vec<u8>, id: Uuid) {
    out.extend_from_slice(b"\"id\":\"");
    out.extend_from_slice(
        id.hyphenated()
            .encode_lower(&mut Uuid::encode_buffer())
            .as_bytes(),
    );
    out.push(b'"');
}

fn number(out: &mut Vec<u8>, name: &str, value: i32) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

fn time(out: &mut Vec<u8>, name: &str, value: DateTime<Utc>) {
    out.extend_from_slice(name.as_bytes());
    out.push(b'"');
    rfc3339(out, value);
    out.push(b'"');
}

fn piece(out: &mut Vec<u8>, piece: &str) {
    out.push(b',');
    out.extend_from_slice(piece.as_bytes());
}

/// What chrono's `to_rfc3339` writes for a UTC time (the API's form of every time, see
/// `serde_json_body::rfc3339`): the fraction of a second as 0, 3, 6 or 9 digits, whichever
/// is the shortest exact one, and `+00:00`. Written here digit by digit: chrono's
/// formatting machinery, then `core::fmt`'s padding, were the larger part of rendering a
/// kept answer of 100 tracks.
fn rfc3339(out: &mut Vec<u8>, time: DateTime<Utc>) {
    let t = time.naive_utc();
    let nanos = t.nanosecond();
    // Years outside four digits and leap seconds, which no stored time has.
    if !(0..=9999).contains(&t.year()) || nanos >= 1_000_000_000 {
        out.extend_from_slice(time.to_rfc3339().as_bytes());
        return;
    }
    digits(out, t.year() as u32, 4);
    for (separator, value) in [
        (b'-', t.month()),
        (b'-', t.day()),
        (b'T', t.hour()),
        (b':', t.minute()),
        (b':', t.second()),
    ] {
        out.push(separator);
        digits(out, value, 2);
    }
    let (fraction, width) = if nanos == 0 {
        (0, 0)
    } else if nanos.is_multiple_of(1_000_000) {
        (nanos / 1_000_000, 3)
    } else if nanos.is_multiple_of(1_000) {
        (nanos / 1_000, 6)
    } else {
        (nanos, 9)
    };
    if width > 0 {
        out.push(b'.');
        digits(out, fraction, width);
    }
    out.extend_from_slice(b"+00:00");
}

/// `value` as exactly `width` decimal digits, zero-padded; `value` has at most `width`.
fn digits(out: &mut Vec<u8>, mut value: u32, width: usize) {
    let mut buf = [b'0'; 9];
    for slot in buf[..width].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

/// The members of a JSON object, without its braces: the shared piece of an item.
pub fn members<T: Serialize>(value: &T) -> String {
    let object = whole(value);
    let inner = object
        .strip_prefix('{')
        .and_then(|o| o.strip_suffix('}'))
        .expect("a struct serializes to a JSON object");
    inner.to_owned()
}

/// `value` as JSON.
pub fn whole<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("API values serialize to JSON")
}

/// One copy of each piece: a bounded set, so a piece that falls out is only shared less.
pub struct Interner {
    pieces: moka::sync::Cache<Arc<str>, Arc<str>>,
}

impl Interner {
    /// Holds at most about `bytes` of pieces.
    pub fn with_budget(bytes: u64) -> Self {
        Self {
            pieces: moka::sync::Cache::builder()
                .weigher(|_, piece: &Arc<str>| piece.len().try_into().unwrap_or(u32::MAX))
                .max_capacity(bytes)
                .build(),
        }
    }

    /// The shared copy of `piece`.
    pub fn intern(&self, piece: String) -> Arc<str> {
        if let Some(shared) = self.pieces.get(piece.as_str()) {
            return shared;
        }
        let shared: Arc<str> = piece.into();
        self.pieces.insert(shared.clone(), shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[derive(Serialize)]
    struct Track {
        title: &'static str,
        duration: u32,
    }

    #[test]
    fn items_are_written_with_their_shared_pieces() {
        let track: Arc<str> = members(&Track {
            title: "say \"hi\"\n",
            duration: 3,
        })
        .into();
        let id = Uuid::now_v7();
        let at = Utc.timestamp_opt(1_796_000_000, 120_000_000).unwrap();
        let answer = KeptJson::new(
            "{\"tracks\":",
            Items::PlaylistTracks(Box::new([PlaylistItem {
                id,
                position: 7,
                added_at: at,
                track,
            }])),
            ",\"count\":1}",
        );
        let value: serde_json::Value = serde_json::from_slice(&answer.render()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({
                "tracks": [{
                    "id": id, "position": 7, "added_at": at.to_rfc3339(),
                    "title": "say \"hi\"\n", "duration": 3,
                }],
                "count": 1,
            })
        );
        let empty = KeptJson::array(Items::Shared(Box::new([])));
        assert_eq!(empty.render(), b"[]");
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..20_000 {
            let seconds = (next() % 400_000_000_000) as i64 - 200_000_000_000;
            let nanos = match i % 4 {
                0 => 0,
                1 => (next() % 1_000) as u32 * 1_000_000,
                2 => (next() % 1_000_000) as u32 * 1_000,
                _ => (next() % 1_000_000_000) as u32,
            };
            let time = Utc.timestamp_opt(seconds, nanos).unwrap();
            let mut out = Vec::new();
            rfc3339(&mut out, time);
            assert_eq!(String::from_utf8(out).unwrap(), time.to_rfc3339());
        }
    }

    #[test]
    fn equal_pieces_are_held_once() {
        let interner = Interner::with_budget(1 << 20);
        let a = interner.intern("\"title\":\"a\"".to_owned());
        let b = interner.intern("\"title\":\"a\"".to_owned());
        let c = interner.intern("\"title\":\"b\"".to_owned());
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
    }
}
