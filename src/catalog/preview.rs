//! Track previews: the 30-second audio each catalog track has, fetched whole or by byte
//! range so players can seek. A port of its own, apart from `Catalog`: only the stream
//! endpoint needs audio, and fakes of the catalog need not provide any.

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use domain::CatalogId;
use futures::stream::BoxStream;

use super::CatalogError;

/// One byte range as HTTP `Range: bytes=...` asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=500-`
    From(u64),
    /// `bytes=500-999` (inclusive)
    FromTo(u64, u64),
    /// `bytes=-500`: the last 500 bytes.
    Last(u64),
}

impl ByteRange {
    /// Parses a `Range` header. Anything but one well-formed byte range gives `None`:
    /// HTTP lets a server ignore such a header and send the whole file, which players
    /// handle.
    pub fn parse(header: &str) -> Option<Self> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        let number = |s: &str| -> Option<u64> {
            let s = s.trim();
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        };
        match (start.trim().is_empty(), end.trim().is_empty()) {
            (true, false) => number(end).filter(|n| *n > 0).map(Self::Last),
            (false, true) => number(start).map(Self::From),
            (false, false) => {
                let (start, end) = (number(start)?, number(end)?);
                (start <= end).then_some(Self::FromTo(start, end))
            }
            (true, true) => None,
        }
    }

    /// The inclusive span this range covers in `len` bytes; `None` when it starts at or
    /// beyond the end (416).
    pub fn resolve(self, len: u64) -> Option<(u64, u64)> {
        let last = len.checked_sub(1)?;
        match self {
            Self::From(start) => (start <= last).then_some((start, last)),
            Self::FromTo(start, end) => (start <= last).then_some((start, end.min(last))),
            Self::Last(n) => Some((len.saturating_sub(n), last)),
        }
    }

    /// The `Range` header value asking an upstream for the same bytes.
    pub fn header_value(self) -> String {
        match self {
            Self::From(start) => format!("bytes={start}-"),
            Self::FromTo(start, end) => format!("bytes={start}-{end}"),
            Self::Last(n) => format!("bytes=-{n}"),
        }
    }
}

/// Which part of the whole a partial answer holds: `Content-Range: bytes 0-99/1000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    pub start: u64,
    /// Inclusive.
    pub end: u64,
    /// The whole length, when known.
    pub total: Option<u64>,
}

impl ContentRange {
    /// Parses `bytes 0-99/1000` (or `bytes 0-99/*`).
    pub fn parse(header: &str) -> Option<Self> {
        let rest = header.trim().strip_prefix("bytes ")?;
        let (span, total) = rest.split_once('/')?;
        let (start, end) = span.split_once('-')?;
        let (start, end): (u64, u64) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
        let total = match total.trim() {
            "*" => None,
            t => Some(t.parse().ok()?),
        };
        (start <= end).then_some(Self { start, end, total })
    }

    /// The whole length from an unsatisfied range's `bytes */1000`.
    pub fn parse_unsatisfied(header: &str) -> Option<u64> {
        header.trim().strip_prefix("bytes */")?.trim().parse().ok()
    }

    /// Bytes in the span.
    pub fn length(&self) -> u64 {
        self.end - self.start + 1
    }
}

impl fmt::Display for ContentRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.total {
            Some(total) => write!(f, "bytes {}-{}/{total}", self.start, self.end),
            None => write!(f, "bytes {}-{}/*", self.start, self.end),
        }
    }
}

/// Preview audio on its way to the client, never held whole in memory.
pub struct PreviewAudio {
    pub content_type: String,
    /// Bytes in this answer, when known.
    pub content_length: Option<u64>,
    /// `Some` for a partial answer (206).
    pub content_range: Option<ContentRange>,
    pub body: BoxStream<'static, std::io::Result<Bytes>>,
}

/// A preview that could not be served.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewFailure {
    pub cause: CatalogError,
    /// The upstream preview URL, when a client could still try it directly.
    pub fallback_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PreviewError {
    /// The range starts beyond the end of the audio (its length, when known).
    RangeNotSatisfiable {
        total: Option<u64>,
    },
    Failed(PreviewFailure),
}

impl From<CatalogError> for PreviewFailure {
    fn from(cause: CatalogError) -> Self {
        Self {
            cause,
            fallback_url: None,
        }
    }
}

impl From<PreviewFailure> for PreviewError {
    fn from(failure: PreviewFailure) -> Self {
        Self::Failed(failure)
    }
}

impl From<CatalogError> for PreviewError {
    fn from(cause: CatalogError) -> Self {
        Self::Failed(cause.into())
    }
}

#[async_trait]
pub trait PreviewSource: Send + Sync {
    /// Where a client can fetch the preview itself; not expired, when the catalog could
    /// be asked for a fresh one.
    async fn preview_url(&self, id: CatalogId) -> Result<String, PreviewFailure>;
    /// The preview audio, or the requested part of it.
    async fn open_preview(
        &self,
        id: CatalogId,
        range: Option<ByteRange>,
    ) -> Result<PreviewAudio, PreviewError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_byte_ranges_are_parsed() {
        assert_eq!(
            ByteRange::parse("bytes=0-99"),
            Some(ByteRange::FromTo(0, 99))
        );
        assert_eq!(ByteRange::parse("bytes=100-"), Some(ByteRange::From(100)));
        assert_eq!(ByteRange::parse("bytes=-500"), Some(ByteRange::Last(500)));
        assert_eq!(
            ByteRange::parse(" bytes= 5 - 6 "),
            Some(ByteRange::FromTo(5, 6))
        );
    }

    #[test]
    fn other_range_headers_are_ignored() {
        for header in [
            "",
            "bytes=",
            "bytes=-",
            "bytes=9-3",
            "bytes=-0",
            "bytes=a-b",
            "bytes=+1-2",
            "bytes=0-1,5-6",
            "items=0-5",
            "bytes=99999999999999999999999-",
        ] {
            assert_eq!(ByteRange::parse(header), None, "{header:?}");
        }
    }

    #[test]
    fn ranges_resolve_against_the_length() {
        assert_eq!(ByteRange::FromTo(0, 99).resolve(1000), Some((0, 99)));
        assert_eq!(ByteRange::FromTo(900, 5000).resolve(1000), Some((900, 999)));
        assert_eq!(ByteRange::From(10).resolve(1000), Some((10, 999)));
        assert_eq!(ByteRange::Last(100).resolve(1000), Some((900, 999)));
        assert_eq!(ByteRange::Last(5000).resolve(1000), Some((0, 999)));
        assert_eq!(ByteRange::From(1000).resolve(1000), None);
        assert_eq!(ByteRange::FromTo(0, 0).resolve(0), None);
    }

    #[test]
    fn ranges_are_forwarded_as_asked() {
        for header in ["bytes=0-99", "bytes=100-", "bytes=-500"] {
            assert_eq!(ByteRange::parse(header).unwrap().header_value(), header);
        }
    }

    #[test]
    fn content_ranges_round_trip() {
        let r = ContentRange::parse("bytes 0-99/1000").unwrap();
        assert_eq!(
            (r.start, r.end, r.total, r.length()),
            (0, 99, Some(1000), 100)
        );
        assert_eq!(r.to_string(), "bytes 0-99/1000");
        assert_eq!(
            ContentRange::parse("bytes 5-9/*").unwrap().to_string(),
            "bytes 5-9/*"
        );
        assert_eq!(ContentRange::parse("bytes 9-5/10"), None);
        assert_eq!(ContentRange::parse("0-5/10"), None);
        assert_eq!(ContentRange::parse_unsatisfied("bytes */1000"), Some(1000));
    }
}
