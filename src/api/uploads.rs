//! Image uploads shared by avatars and playlist covers, and the route that serves them.

use bytes::Bytes;
use poem::{
    IntoResponse, Response, handler,
    http::{StatusCode, header},
    web::{Data, Path},
};
use poem_openapi::types::multipart::Upload;

use super::error::ApiError;
use crate::{adapters::media_store::ImageKind, state::AppState};

/// Where an uploaded object is served from. Relative to the API's origin, so it works
/// behind any proxy and with either media backend.
pub fn media_url(key: &str) -> String {
    format!("/media/{key}")
}

/// Validates an uploaded image by size and content and stores it; returns its key.
pub async fn store_image(
    state: &AppState,
    folder: &str,
    field: &str,
    upload: Upload,
) -> Result<String, ApiError> {
    let max = state.settings.max_upload_bytes;
    if upload.size() > max {
        return Err(ApiError::too_large(format!(
            "{field} may be at most {max} bytes"
        )));
    }
    let bytes = upload
        .into_vec()
        .await
        .map_err(|e| ApiError::validation(field, format!("could not read the upload: {e}")))?;
    if bytes.len() > max {
        return Err(ApiError::too_large(format!(
            "{field} may be at most {max} bytes"
        )));
    }
    let kind = ImageKind::sniff(&bytes).ok_or_else(|| {
        ApiError::unsupported_media_type(format!("{field} must be a PNG, JPEG, WebP or GIF image"))
    })?;
    state
        .media
        .put_image(folder, kind, Bytes::from(bytes))
        .await
        .map_err(ApiError::internal)
}

/// `GET /media/{folder}/{file}`: serves a stored upload.
#[handler]
pub async fn serve_media(
    Path((folder, file)): Path<(String, String)>,
    state: Data<&AppState>,
) -> poem::Result<Response> {
    let kind = file
        .rsplit_once('.')
        .and_then(|(_, ext)| ImageKind::from_extension(ext));
    let safe = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    };
    let (Some(kind), true, true) = (kind, safe(&folder), safe(&file)) else {
        return Err(ApiError::not_found("no such media").into());
    };
    match state.media.get(&format!("{folder}/{file}")).await {
        Ok(Some(bytes)) => Ok(bytes
            .with_content_type(kind.content_type())
            .with_header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
            .with_header("x-content-type-options", "nosniff")
            .with_status(StatusCode::OK)
            .into_response()),
        Ok(None) => Err(ApiError::not_found("no such media").into()),
        Err(err) => Err(ApiError::internal(err).into()),
    }
}
