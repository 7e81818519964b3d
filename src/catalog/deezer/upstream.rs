//! One GET against the Deezer API: rate limited, timed out, retried when Deezer says it
//! is over quota or busy, and with Deezer's in-band errors turned into `CatalogError`.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde_json::Value;

use super::{DeezerConfig, limiter::RateLimiter, wire::DeezerError};
use crate::catalog::{CatalogError, CatalogResult};

/// Deezer's error codes that mean "not now" rather than "no".
const QUOTA_EXCEEDED: i64 = 4;
const SERVICE_BUSY: i64 = 700;
const DATA_NOT_FOUND: i64 = 800;
/// Deezer's quota window: after that long a throttled client may try again.
const THROTTLED_RETRY_AFTER_SECS: u64 = 5;
/// Larger answers are refused rather than held in memory (Deezer's are < 1 MB).
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

pub struct Upstream {
    http: reqwest::Client,
    base: String,
    limiter: RateLimiter,
    timeout: Duration,
    retries: u32,
    backoff: Duration,
}

/// How one attempt failed.
enum Failure {
    /// Worth another attempt after a pause (quota, busy, HTTP 429/503).
    Transient(String),
    Final(CatalogError),
}

impl Upstream {
    pub fn new(config: &DeezerConfig, http: reqwest::Client) -> Self {
        Self {
            http,
            base: config.base_url.trim_end_matches('/').to_owned(),
            limiter: RateLimiter::new(
                config.requests_per_window,
                config.window,
                config.max_queue_wait,
            ),
            timeout: config.timeout,
            retries: config.retries,
            backoff: config.backoff,
        }
    }

    /// `GET {base}/{path}?{query}`; `Ok(None)` when Deezer has no such data.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> CatalogResult<Option<Value>> {
        let url = self.url(path, query)?;
        let mut attempt = 0;
        loop {
            self.limiter
                .acquire()
                .await
                .map_err(|wait| CatalogError::Unavailable {
                    retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
                })?;
            match self.attempt(url.clone()).await {
                Ok(answer) => return Ok(answer),
                Err(Failure::Final(err)) => return Err(err),
                Err(Failure::Transient(why)) if attempt < self.retries => {
                    let pause = self.backoff * 2u32.pow(attempt);
                    tracing::info!(%url, %why, ?pause, "Deezer asks to slow down; retrying");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
                Err(Failure::Transient(why)) => {
                    tracing::warn!(%url, %why, "Deezer still throttling after retries");
                    return Err(CatalogError::Unavailable {
                        retry_after_secs: THROTTLED_RETRY_AFTER_SECS,
                    });
                }
            }
        }
    }

    fn url(&self, path: &str, query: &[(&str, &str)]) -> CatalogResult<Url> {
        let mut url = Url::parse(&format!("{}/{path}", self.base))
            .map_err(|e| CatalogError::Upstream(format!("bad Deezer URL: {e}")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    async fn attempt(&self, url: Url) -> Result<Option<Value>, Failure> {
        tracing::debug!(%url, "Deezer request");
        let resp = self
            .http
            .get(url)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| Failure::Final(transport_error(&e)))?;
        let status = resp.status();
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            return Err(Failure::Transient(format!("HTTP {status}")));
        }
        if status.is_server_error() {
            return Err(Failure::Final(CatalogError::Upstream(format!(
                "HTTP {status}"
            ))));
        }
        if resp
            .content_length()
            .is_some_and(|len| len > MAX_BODY_BYTES as u64)
        {
            return Err(Failure::Final(CatalogError::Upstream(
                "answer too large".into(),
            )));
        }
        let body = resp
            .bytes()
            .await
            .map_err(|e| Failure::Final(transport_error(&e)))?;
        if body.len() > MAX_BODY_BYTES {
            return Err(Failure::Final(CatalogError::Upstream(
                "answer too large".into(),
            )));
        }
        let value: Value = match serde_json::from_slice(&body) {
            Ok(value) => value,
            Err(_) if status == StatusCode::NOT_FOUND => return Ok(None),
            Err(e) => {
                return Err(Failure::Final(CatalogError::Upstream(format!(
                    "malformed JSON (HTTP {status}): {e}"
                ))));
            }
        };
        match DeezerError::of(&value) {
            Some(err) => classify(err),
            None if status == StatusCode::NOT_FOUND => Ok(None),
            None if !status.is_success() => Err(Failure::Final(CatalogError::Upstream(format!(
                "HTTP {status}"
            )))),
            None => Ok(Some(value)),
        }
    }
}

/// Deezer reports errors in the body, mostly with HTTP 200.
fn classify(err: DeezerError) -> Result<Option<Value>, Failure> {
    match err.code {
        DATA_NOT_FOUND => Ok(None),
        QUOTA_EXCEEDED | SERVICE_BUSY => Err(Failure::Transient(format!(
            "Deezer error {}: {}",
            err.code, err.message
        ))),
        code => Err(Failure::Final(CatalogError::Upstream(format!(
            "Deezer error {code}: {}",
            err.message
        )))),
    }
}

/// A request that did not get an answer: Deezer is unreachable or too slow, which a
/// client may retry later; anything else is an upstream error.
fn transport_error(err: &reqwest::Error) -> CatalogError {
    if err.is_timeout() || err.is_connect() || err.is_request() {
        tracing::warn!(error = %err, "Deezer unreachable");
        CatalogError::Unavailable {
            retry_after_secs: THROTTLED_RETRY_AFTER_SECS,
        }
    } else {
        CatalogError::Upstream(format!("reading the answer failed: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(code: i64) -> DeezerError {
        DeezerError {
            code,
            message: "m".into(),
        }
    }

    #[test]
    fn deezer_error_codes_are_classified() {
        assert!(matches!(classify(error(800)), Ok(None)));
        assert!(matches!(classify(error(4)), Err(Failure::Transient(_))));
        assert!(matches!(classify(error(700)), Err(Failure::Transient(_))));
        for code in [100, 200, 300, 500, 501, 600] {
            assert!(
                matches!(
                    classify(error(code)),
                    Err(Failure::Final(CatalogError::Upstream(_)))
                ),
                "code {code}"
            );
        }
    }
}
