//! A rendered JSON answer kept in memory with its repeated parts shared.
//!
//! A queue, a playlist or a page of plays is mostly track metadata, and the same tracks
//! recur across every user's answers: each track's members are rendered once, held by one
//! `Arc<str>`, and spliced into every answer that shows the track. A 100-track playlist
//! then costs about 90 bytes a track in memory instead of about 400.

use std::sync::Arc;

use serde::Serialize;

/// JSON text with shared pieces spliced in at byte offsets, in offset order.
#[derive(Debug, Default)]
pub struct SplicedJson {
    text: String,
    splices: Vec<(usize, Arc<str>)>,
}

impl SplicedJson {
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// `value` as JSON.
    pub fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> &mut Self {
        let json = serde_json::to_string(value).expect("API values serialize to JSON");
        self.text.push_str(&json);
        self
    }

    /// A JSON array of `items`, each written by `item`.
    pub fn array<I>(
        &mut self,
        items: impl IntoIterator<Item = I>,
        mut item: impl FnMut(&mut Self, I),
    ) -> &mut Self {
        self.text.push('[');
        for (i, each) in items.into_iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            item(self, each);
        }
        self.text.push(']');
        self
    }

    /// A piece shared with other answers, written at the current end.
    pub fn shared(&mut self, piece: Arc<str>) -> &mut Self {
        self.splices.push((self.text.len(), piece));
        self
    }

    /// The answer's bytes.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rendered_len());
        let mut from = 0;
        for (at, piece) in &self.splices {
            out.extend_from_slice(&self.text.as_bytes()[from..*at]);
            out.extend_from_slice(piece.as_bytes());
            from = *at;
        }
        out.extend_from_slice(&self.text.as_bytes()[from..]);
        out
    }

    fn rendered_len(&self) -> usize {
        self.text.len() + self.splices.iter().map(|(_, p)| p.len()).sum::<usize>()
    }

    /// What this answer holds of its own, in bytes (shared pieces are counted where they
    /// are interned).
    pub fn own_size(&self) -> usize {
        self.text.capacity() + self.splices.capacity() * size_of::<(usize, Arc<str>)>()
    }
}

/// The members of a JSON object, without its braces: what [`SplicedJson::shared`] splices
/// into an object of the answer.
pub fn members<T: Serialize>(value: &T) -> String {
    let object = serde_json::to_string(value).expect("API values serialize to JSON");
    let inner = object
        .strip_prefix('{')
        .and_then(|o| o.strip_suffix('}'))
        .expect("a struct serializes to a JSON object");
    inner.to_owned()
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
    use super::*;

    #[derive(Serialize)]
    struct Track {
        title: &'static str,
        duration: u32,
    }

    #[test]
    fn shared_pieces_land_where_they_were_spliced() {
        let piece: Arc<str> = members(&Track {
            title: "say \"hi\"\n",
            duration: 3,
        })
        .into();
        let mut json = SplicedJson::default();
        json.text("[{\"id\":")
            .value(&1)
            .text(",")
            .shared(piece.clone())
            .text("},{\"id\":")
            .value(&2)
            .text(",")
            .shared(piece)
            .text("}]");
        let value: serde_json::Value = serde_json::from_slice(&json.render()).unwrap();
        assert_eq!(
            value,
            serde_json::json!([
                {"id": 1, "title": "say \"hi\"\n", "duration": 3},
                {"id": 2, "title": "say \"hi\"\n", "duration": 3},
            ])
        );
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
