//! Deezer previews: proxied from Deezer's CDN as a stream, with the client's byte range.
//!
//! Preview URLs expire: newer ones are signed (`?hdnea=exp=<unix time>~acl=...~hmac=...`).
//! A URL past its expiry is replaced by a fresh one (the track fetched again, bypassing
//! the cache) before use; a CDN that still refuses (403 or 410) gets one more try with a
//! fresh URL. The client sees none of this.

use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use domain::CatalogId;
use futures::{StreamExt, TryStreamExt};
use reqwest::{StatusCode, Url, header};

use super::DeezerCatalog;
use crate::catalog::{
    CatalogError,
    preview::{ByteRange, ContentRange, PreviewAudio, PreviewError, PreviewFailure, PreviewSource},
};

/// A URL this close to its expiry counts as expired: it may lapse mid-stream.
const EXPIRY_MARGIN_SECS: u64 = 30;

/// The expiry (Unix time) of a signed preview URL; `None` for unsigned ones.
fn expiry(url: &str) -> Option<u64> {
    let url = Url::parse(url).ok()?;
    let (_, token) = url.query_pairs().find(|(key, _)| key == "hdnea")?;
    token
        .split('~')
        .find_map(|part| part.strip_prefix("exp="))?
        .parse()
        .ok()
}

fn expired(url: &str, now_unix: u64) -> bool {
    expiry(url).is_some_and(|exp| exp <= now_unix)
}

/// Expired, or so close to it that it may lapse mid-stream: time for a fresh URL.
fn expiring(url: &str, now_unix: u64) -> bool {
    expired(url, now_unix + EXPIRY_MARGIN_SECS)
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn no_preview(id: CatalogId) -> PreviewFailure {
    CatalogError::not_found("preview of track", id.get()).into()
}

impl DeezerCatalog {
    /// The track's preview URL, fresh when it had expired.
    async fn usable_preview(&self, id: CatalogId) -> Result<String, PreviewFailure> {
        let cached = self.cached_track(id, false).await?;
        if cached.preview.is_empty() {
            return Err(no_preview(id));
        }
        if !expiring(&cached.preview, now_unix()) {
            return Ok(cached.preview.clone());
        }
        self.fresh_preview(id, &cached.preview).await
    }

    /// Fetches the track again for a new preview URL; `stale` is the one in hand, offered
    /// as a fallback when no fresh one can be had, unless it has expired already.
    async fn fresh_preview(&self, id: CatalogId, stale: &str) -> Result<String, PreviewFailure> {
        let fallback = |cause| PreviewFailure {
            cause,
            fallback_url: (!expired(stale, now_unix())).then(|| stale.to_owned()),
        };
        let fresh = self
            .cached_track(id, true)
            .await
            .map_err(|cause| match cause {
                CatalogError::NotFound { .. } => PreviewFailure::from(cause),
                other => fallback(other),
            })?;
        if fresh.preview.is_empty() {
            return Err(no_preview(id));
        }
        // The cache answers a failing upstream with the copy it had: no fresher URL.
        if expiring(&fresh.preview, now_unix()) {
            return Err(fallback(CatalogError::Unavailable {
                retry_after_secs: 5,
            }));
        }
        Ok(fresh.preview.clone())
    }

    async fn cdn_get(
        &self,
        url: &str,
        range: Option<ByteRange>,
    ) -> Result<reqwest::Response, PreviewFailure> {
        let failed = |cause| PreviewFailure {
            cause,
            fallback_url: Some(url.to_owned()),
        };
        let mut request = self.http.get(url);
        if let Some(range) = range {
            request = request.header(header::RANGE, range.header_value());
        }
        // Only the wait for the answer's head is limited here: the body may take as long
        // as the client takes to read it (the client's read timeout stops a stalled CDN).
        match tokio::time::timeout(self.timeout, request.send()).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(err)) if !(err.is_timeout() || err.is_connect()) => Err(failed(
                CatalogError::Upstream(format!("preview request: {err}")),
            )),
            _ => {
                tracing::warn!(url, "preview CDN unreachable");
                Err(failed(CatalogError::Unavailable {
                    retry_after_secs: 5,
                }))
            }
        }
    }
}

fn audio(resp: reqwest::Response, url: &str) -> Result<PreviewAudio, PreviewError> {
    let header_str = |name| resp.headers().get(name).and_then(|v| v.to_str().ok());
    let content_range = match resp.status() {
        StatusCode::PARTIAL_CONTENT => Some(
            header_str(header::CONTENT_RANGE)
                .and_then(ContentRange::parse)
                .ok_or_else(|| PreviewFailure {
                    cause: CatalogError::Upstream("206 without a valid Content-Range".into()),
                    fallback_url: Some(url.to_owned()),
                })?,
        ),
        _ => None,
    };
    let content_type = header_str(header::CONTENT_TYPE)
        .unwrap_or("audio/mpeg")
        .to_owned();
    Ok(PreviewAudio {
        content_type,
        content_length: resp.content_length(),
        content_range,
        body: resp.bytes_stream().map_err(std::io::Error::other).boxed(),
    })
}

#[async_trait]
impl PreviewSource for DeezerCatalog {
    async fn preview_url(&self, id: CatalogId) -> Result<String, PreviewFailure> {
        self.usable_preview(id).await
    }

    async fn open_preview(
        &self,
        id: CatalogId,
        range: Option<ByteRange>,
    ) -> Result<PreviewAudio, PreviewError> {
        let mut url = self.usable_preview(id).await?;
        let mut refreshed = false;
        loop {
            let resp = self.cdn_get(&url, range).await?;
            match resp.status() {
                StatusCode::OK | StatusCode::PARTIAL_CONTENT => return audio(resp, &url),
                StatusCode::FORBIDDEN | StatusCode::GONE if !refreshed => {
                    tracing::info!(%id, "preview URL refused by the CDN; fetching a fresh one");
                    url = self.fresh_preview(id, &url).await?;
                    refreshed = true;
                }
                StatusCode::RANGE_NOT_SATISFIABLE => {
                    let total = resp
                        .headers()
                        .get(header::CONTENT_RANGE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(ContentRange::parse_unsatisfied);
                    return Err(PreviewError::RangeNotSatisfiable { total });
                }
                status => {
                    // A fresh URL refused again will not work from the client either.
                    let refused = matches!(status, StatusCode::FORBIDDEN | StatusCode::GONE);
                    return Err(PreviewError::Failed(PreviewFailure {
                        cause: CatalogError::Upstream(format!("preview CDN answered {status}")),
                        fallback_url: (!refused).then_some(url),
                    }));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &str = "https://cdnt-preview.dzcdn.net/api/1/1/8/c/1/0/8c1.mp3?hdnea=exp=1700000000~acl=/api/1/1/8/c/1/0/8c1.mp3*~data=user_id=0,application_id=42~hmac=4f2a";

    #[test]
    fn the_expiry_of_signed_urls_is_read() {
        assert_eq!(expiry(SIGNED), Some(1_700_000_000));
        let encoded =
            "https://cdnt-preview.dzcdn.net/a.mp3?hdnea=exp%3D1700000123%7Eacl%3D%2F*%7Ehmac%3Dab";
        assert_eq!(expiry(encoded), Some(1_700_000_123));
        assert_eq!(
            expiry(
                "https://cdns-preview-d.dzcdn.net/stream/c-deda7fa9316d9e9e880d2c6207e92260-5.mp3"
            ),
            None
        );
        assert_eq!(expiry("not a url"), None);
        assert_eq!(expiry("https://x/a.mp3?hdnea=acl=/*~hmac=1"), None);
    }

    #[test]
    fn urls_are_renewed_a_little_before_they_expire_and_unsigned_ones_never() {
        assert!(expired(SIGNED, 1_700_000_000));
        assert!(!expired(SIGNED, 1_700_000_000 - 1));
        assert!(expiring(SIGNED, 1_700_000_000 - EXPIRY_MARGIN_SECS));
        assert!(!expiring(SIGNED, 1_699_000_000));
        let unsigned = "https://cdns-preview-d.dzcdn.net/stream/c-1-5.mp3";
        assert!(!expired(unsigned, u64::MAX / 2) && !expiring(unsigned, u64::MAX / 2));
    }
}
