//! Cross-cutting HTTP concerns: request ids and spans, body size, allowed hosts.

use std::time::Instant;

use poem::{Endpoint, IntoResponse, Request, Response, http::HeaderValue};
use tracing::Instrument;

use super::error::ApiError;

pub const REQUEST_ID: &str = "x-request-id";

/// One span per request, with a request id taken from the client (when sane) or made up,
/// echoed in `X-Request-Id`.
pub async fn trace_request<E: Endpoint>(next: E, req: Request) -> poem::Result<Response> {
    let request_id = req
        .header(REQUEST_ID)
        .filter(|id| id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let span = tracing::info_span!(
        "request",
        id = %request_id,
        method = %req.method(),
        path = %req.uri().path(),
    );
    async move {
        let started = Instant::now();
        let outcome = crate::request_context::REQUEST_ID
            .scope(request_id.clone(), next.call(req))
            .await;
        let mut resp = match outcome {
            Ok(resp) => resp.into_response(),
            Err(err) => super::error::render_any_error(err).await,
        };
        let status = resp.status().as_u16();
        let micros = started.elapsed().as_micros() as u64;
        if status >= 500 {
            tracing::warn!(status, micros, "request failed");
        } else {
            tracing::debug!(status, micros, "request done");
        }
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert(REQUEST_ID, value);
        }
        Ok(resp)
    }
    .instrument(span)
    .await
}

/// Refuses bodies over `max` bytes with 413, whether or not they announce their length.
pub struct BodyLimit(pub usize);

impl<E: Endpoint> poem::Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint { inner, max: self.0 }
    }
}

pub struct BodyLimitEndpoint<E> {
    inner: E,
    max: usize,
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let too_large =
            || ApiError::too_large(format!("the body may be at most {} bytes", self.max));
        let announced = req
            .header("content-length")
            .and_then(|len| len.parse::<u64>().ok());
        match announced {
            Some(len) if len > self.max as u64 => return Err(too_large().into()),
            Some(_) => {}
            None if req.header("transfer-encoding").is_some() => {
                let body = req
                    .take_body()
                    .into_bytes_limit(self.max)
                    .await
                    .map_err(|_| poem::Error::from(too_large()))?;
                req.set_body(body);
            }
            None => {}
        }
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

/// Rejects requests whose Host is not in ALLOWED_HOSTS (when set).
pub fn host_allowed(allowed: &[String], host_header: Option<&str>) -> bool {
    let Some(host) = host_header else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    allowed.iter().any(|a| a.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn hosts_are_matched_without_their_port() {
        let allowed = vec!["localhost".to_string(), "[::1]".to_string()];
        assert!(host_allowed(&allowed, Some("localhost:8000")));
        assert!(host_allowed(&allowed, Some("LOCALHOST")));
        assert!(host_allowed(&allowed, Some("[::1]:8000")));
        assert!(!host_allowed(&allowed, Some("evil.example")));
        assert!(!host_allowed(&allowed, None));
    }
}
