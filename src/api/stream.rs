//! `GET /api/catalogue/stream/{id}/`: a track's 30-second preview, as audio (whole or by
//! byte range) or, on request, as its URL.

use domain::CatalogId;
use poem::{
    Body, IntoResponse, Request, Response,
    http::{StatusCode, header},
    web::Data,
};
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Header, Path, Query},
    payload::{Binary, Json, Payload},
    registry::{MetaHeader, MetaMediaType, MetaResponse, MetaResponses, Registry},
    types::Type,
};

use super::{
    ApiTags,
    error::{ApiError, ErrorBody},
    security::MediaAuth,
};
use crate::{
    catalog::{
        CatalogError,
        preview::{ByteRange, PreviewAudio, PreviewError, PreviewFailure},
    },
    state::AppState,
};

pub struct StreamApi;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
enum StreamFormat {
    Audio,
    Json,
}

/// The preview's URL.
#[derive(Object)]
struct PreviewLink {
    preview_url: String,
}

/// Why a preview could not be served, with a way around it when there is one.
#[derive(Object)]
struct StreamFailure {
    /// `upstream_error` (502) or `unavailable` (503).
    error: String,
    /// The upstream preview URL, when a client could still play it directly.
    #[oai(nullable)]
    preview_url: Option<String>,
    /// Whether `preview_url` is worth trying.
    fallback: bool,
    message: String,
}

enum StreamReply {
    Link(Json<PreviewLink>),
    Audio(PreviewAudio),
    RangeNotSatisfiable { total: Option<u64> },
}

enum StreamError {
    Api(ApiError),
    Failed {
        body: Json<StreamFailure>,
        /// `Some` for a 503, `None` for a 502.
        retry_after: Option<u64>,
    },
}

/// JSON when asked for by `format`, or by an `Accept` header that names JSON and no audio
/// type (an `<audio>` element's `Accept` names audio types or `*/*`).
fn wants_json(format: Option<StreamFormat>, accept: Option<&str>) -> bool {
    match format {
        Some(format) => format == StreamFormat::Json,
        None => accept.is_some_and(|accept| {
            let types: Vec<String> = accept
                .split(',')
                .map(|t| {
                    t.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .collect();
            types.iter().any(|t| t == "application/json")
                && !types.iter().any(|t| t.starts_with("audio/"))
        }),
    }
}

fn failure(failed: PreviewFailure) -> StreamError {
    let PreviewFailure {
        cause,
        fallback_url,
    } = failed;
    let (error, message, retry_after) = match cause {
        CatalogError::Unavailable { retry_after_secs } => (
            "unavailable",
            "the preview is unavailable right now; retry later",
            Some(retry_after_secs.max(1)),
        ),
        CatalogError::Upstream(detail) => {
            tracing::warn!(%detail, "preview failed");
            (
                "upstream_error",
                "the catalog could not deliver the preview",
                None,
            )
        }
        not_found @ CatalogError::NotFound { .. } => return StreamError::Api(not_found.into()),
    };
    let message = match fallback_url {
        Some(_) => format!("{message}; preview_url may still play directly"),
        None => message.to_owned(),
    };
    StreamError::Failed {
        body: Json(StreamFailure {
            error: error.into(),
            fallback: fallback_url.is_some(),
            preview_url: fallback_url,
            message,
        }),
        retry_after,
    }
}

impl From<ApiError> for StreamError {
    fn from(err: ApiError) -> Self {
        Self::Api(err)
    }
}

#[OpenApi(tag = "ApiTags::Catalogue")]
impl StreamApi {
    /// Stream a track's 30-second preview.
    ///
    /// The audio is passed on as it arrives, never buffered whole, and `Range` is honoured
    /// (206 with `Content-Range`; 416 past the end) so players can seek. Expired Deezer
    /// preview URLs are renewed without the client noticing. The bundled catalog plays a
    /// generated WAV per track instead of real audio.
    ///
    /// `format=json` (or `Accept: application/json`) answers `{"preview_url": ...}`.
    /// When the preview cannot be served, the 502/503 body also carries `preview_url`
    /// (the upstream URL, when it may still play directly) and `fallback`.
    ///
    /// The access token goes in `Authorization: Bearer` or, for an `<audio src>` that
    /// cannot send headers, in the query: `?access_token=<access>`.
    #[oai(
        path = "/api/catalogue/stream/:id/",
        method = "get",
        operation_id = "stream_track"
    )]
    async fn stream(
        &self,
        Data(state): Data<&AppState>,
        _auth: MediaAuth,
        req: &Request,
        /// The track's catalog (Deezer) id.
        id: Path<String>,
        /// `json` for the preview's URL instead of its audio.
        format: Query<Option<StreamFormat>>,
        /// One byte range, e.g. `bytes=0-65535`; anything else is ignored and the whole
        /// preview is sent.
        #[oai(name = "Range")]
        range: Header<Option<String>>,
    ) -> Result<StreamReply, StreamError> {
        let id: CatalogId = id.parse().map_err(ApiError::from)?;
        if wants_json(format.0, req.header(header::ACCEPT)) {
            let url = state.previews.preview_url(id).await.map_err(failure)?;
            return Ok(StreamReply::Link(Json(PreviewLink { preview_url: url })));
        }
        let range = range.0.as_deref().and_then(ByteRange::parse);
        match state.previews.open_preview(id, range).await {
            Ok(audio) => Ok(StreamReply::Audio(audio)),
            Err(PreviewError::RangeNotSatisfiable { total }) => {
                Ok(StreamReply::RangeNotSatisfiable { total })
            }
            Err(PreviewError::Failed(failed)) => Err(failure(failed)),
        }
    }
}

impl IntoResponse for StreamReply {
    fn into_response(self) -> Response {
        match self {
            Self::Link(link) => link.into_response(),
            Self::Audio(audio) => {
                let mut resp = Response::builder()
                    .content_type(audio.content_type)
                    .header(header::ACCEPT_RANGES, "bytes");
                if let Some(len) = audio.content_length {
                    resp = resp.header(header::CONTENT_LENGTH, len);
                }
                resp = match audio.content_range {
                    Some(range) => resp
                        .status(StatusCode::PARTIAL_CONTENT)
                        .header(header::CONTENT_RANGE, range.to_string()),
                    None => resp.status(StatusCode::OK),
                };
                resp.body(Body::from_bytes_stream(audio.body))
            }
            Self::RangeNotSatisfiable { total } => {
                let body = Json(ErrorBody {
                    error: "range_not_satisfiable".into(),
                    message: "the range starts beyond the end of the preview".into(),
                    field: Some("Range".into()),
                });
                let mut resp = body.into_response();
                resp.set_status(StatusCode::RANGE_NOT_SATISFIABLE);
                if let Some(total) = total {
                    resp.headers_mut().insert(
                        header::CONTENT_RANGE,
                        format!("bytes */{total}").parse().expect("a valid header"),
                    );
                }
                resp
            }
        }
    }
}

fn string_header(name: &str, description: &str) -> MetaHeader {
    MetaHeader {
        name: name.into(),
        description: Some(description.into()),
        required: false,
        deprecated: false,
        schema: String::schema_ref(),
    }
}

fn audio_media() -> Vec<MetaMediaType> {
    ["audio/mpeg", "audio/wav"]
        .into_iter()
        .map(|content_type| MetaMediaType {
            content_type,
            schema: Binary::<Body>::schema_ref(),
        })
        .collect()
}

/// Written by hand: one 200 answer has three media types (two audio, one JSON), which
/// the derive cannot express.
impl ApiResponse for StreamReply {
    fn meta() -> MetaResponses {
        let accept_ranges = || string_header("Accept-Ranges", "Always `bytes`.");
        let mut ok_media = audio_media();
        ok_media.push(MetaMediaType {
            content_type: Json::<PreviewLink>::CONTENT_TYPE,
            schema: PreviewLink::schema_ref(),
        });
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The whole preview: MP3 from Deezer, WAV from the bundled catalog; or its URL when JSON was asked for.",
                    status: Some(200),
                    status_range: None,
                    content: ok_media,
                    headers: vec![accept_ranges()],
                },
                MetaResponse {
                    description: "The requested byte range of the preview.",
                    status: Some(206),
                    status_range: None,
                    content: audio_media(),
                    headers: vec![
                        accept_ranges(),
                        string_header("Content-Range", "e.g. `bytes 0-65535/480044`."),
                    ],
                },
                MetaResponse {
                    description: "The range starts past the end of the preview.",
                    status: Some(416),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: Json::<ErrorBody>::CONTENT_TYPE,
                        schema: ErrorBody::schema_ref(),
                    }],
                    headers: vec![string_header(
                        "Content-Range",
                        "`bytes */<length>`, when the length is known.",
                    )],
                },
            ],
        }
    }

    fn register(registry: &mut Registry) {
        PreviewLink::register(registry);
        ErrorBody::register(registry);
    }
}

impl IntoResponse for StreamError {
    fn into_response(self) -> Response {
        match self {
            Self::Api(err) => err.into_response(),
            Self::Failed { body, retry_after } => {
                let mut resp = body.into_response();
                match retry_after {
                    Some(secs) => {
                        resp.set_status(StatusCode::SERVICE_UNAVAILABLE);
                        resp.headers_mut().insert(header::RETRY_AFTER, secs.into());
                    }
                    None => resp.set_status(StatusCode::BAD_GATEWAY),
                }
                resp
            }
        }
    }
}

impl From<StreamError> for poem::Error {
    fn from(err: StreamError) -> Self {
        poem::Error::from_response(err.into_response())
    }
}

/// `ApiError`'s answers, except that 502 and 503 carry a `StreamFailure`.
impl ApiResponse for StreamError {
    fn meta() -> MetaResponses {
        let mut meta = ApiError::meta();
        for resp in &mut meta.responses {
            if matches!(resp.status, Some(502 | 503)) {
                resp.content = vec![MetaMediaType {
                    content_type: Json::<StreamFailure>::CONTENT_TYPE,
                    schema: StreamFailure::schema_ref(),
                }];
            }
        }
        meta
    }

    fn register(registry: &mut Registry) {
        ApiError::register(registry);
        StreamFailure::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_chosen_by_format_or_by_an_accept_header_without_audio() {
        assert!(wants_json(Some(StreamFormat::Json), Some("audio/*")));
        assert!(!wants_json(
            Some(StreamFormat::Audio),
            Some("application/json")
        ));
        assert!(wants_json(None, Some("application/json")));
        assert!(wants_json(None, Some("text/html, Application/JSON; q=0.9")));
        assert!(!wants_json(
            None,
            Some("audio/webm,audio/ogg,audio/wav,audio/*;q=0.9,application/json;q=0.8")
        ));
        assert!(!wants_json(None, Some("*/*")));
        assert!(!wants_json(None, None));
    }
}
