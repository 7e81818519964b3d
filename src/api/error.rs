//! One JSON error shape for every 4xx and 5xx the API answers.

use poem::{Endpoint, IntoResponse, Response, http::StatusCode};
use poem_openapi::{ApiResponse, Object, payload::Json};

/// The body of every error response.
#[derive(Debug, Clone, Object)]
pub struct ErrorBody {
    /// A stable, machine-readable code, e.g. `validation_error` or `not_found`.
    pub error: String,
    /// A human-readable explanation.
    pub message: String,
    /// The field or parameter at fault, when there is one.
    #[oai(skip_serializing_if_is_none)]
    pub field: Option<String>,
}

/// Every error status the API documents, each with the same JSON body.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "from_request_error")]
pub enum ApiError {
    /// The request is malformed or a value is invalid.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The bearer token is missing, expired or invalid.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The caller may see this resource but not change it.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// Nothing with this id exists for the caller.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The resource changed concurrently; retry.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// `If-Match` names a version that is no longer current.
    #[oai(status = 412)]
    PreconditionFailed(Json<ErrorBody>),
    /// The body is larger than allowed.
    #[oai(status = 413)]
    PayloadTooLarge(Json<ErrorBody>),
    /// The body's content type is not accepted.
    #[oai(status = 415)]
    UnsupportedMediaType(Json<ErrorBody>),
    /// Too many attempts; retry after the given number of seconds.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
    /// An unexpected failure; the body carries only an incident id.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The music catalog answered with an error.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// A dependency (database or catalog) is unavailable; retry later.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>, #[oai(header = "Retry-After")] u64),
}

pub type ApiResult<T> = Result<T, ApiError>;

fn body(error: &str, message: impl Into<String>, field: Option<&str>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: error.into(),
        message: message.into(),
        field: field.map(str::to_owned),
    })
}

impl ApiError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::BadRequest(body("validation_error", message, Some(field)))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(body("bad_request", message, None))
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::Unauthorized(body("unauthorized", message, None))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(body("forbidden", message, None))
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(body("not_found", message, None))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(body("conflict", message, None))
    }

    pub fn precondition_failed(message: impl Into<String>) -> Self {
        Self::PreconditionFailed(body("precondition_failed", message, None))
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        Self::PayloadTooLarge(body("payload_too_large", message, None))
    }

    pub fn unsupported_media_type(message: impl Into<String>) -> Self {
        Self::UnsupportedMediaType(body("unsupported_media_type", message, None))
    }

    pub fn too_many_requests(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::TooManyRequests(
            body("too_many_requests", message, None),
            retry_after_secs.max(1),
        )
    }

    pub fn bad_gateway(message: impl Into<String>) -> Self {
        Self::BadGateway(body("upstream_error", message, None))
    }

    pub fn unavailable(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::Unavailable(body("unavailable", message, None), retry_after_secs.max(1))
    }

    /// Logs the cause with an incident id and answers 500 with only that id.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        let incident = uuid::Uuid::now_v7();
        tracing::error!(%incident, %cause, "internal error");
        Self::Internal(body(
            "internal_error",
            format!("unexpected error; incident {incident}"),
            None,
        ))
    }

    /// A database error: an outage (no connection, a connection lost mid-query, the server
    /// shutting down) is a 503, anything else a logged 500.
    pub fn database(err: sqlx::Error) -> Self {
        let outage = crate::db::is_connection_lost(&err);
        if outage {
            tracing::warn!(error = %err, "database unavailable");
            return Self::unavailable("the database is unavailable", 2);
        }
        // 22021 and 22P05: text PostgreSQL cannot store (a NUL character, in a column or in
        // JSON). Only a client's text carries one, so it is the request that is at fault.
        if let sqlx::Error::Database(db) = &err
            && matches!(db.code().as_deref(), Some("22021" | "22P05"))
        {
            return Self::bad_request("text may not contain the NUL character");
        }
        Self::internal(err)
    }

    fn from_status(status: StatusCode, message: String) -> Self {
        match status.as_u16() {
            401 => Self::unauthorized(message),
            403 => Self::forbidden(message),
            404 => Self::not_found(message),
            405 => Self::BadRequest(body("method_not_allowed", message, None)),
            409 => Self::conflict(message),
            412 => Self::precondition_failed(message),
            413 => Self::too_large(message),
            415 => Self::unsupported_media_type(message),
            429 => Self::too_many_requests(message, 1),
            503 => Self::unavailable(message, 1),
            s if s >= 500 => Self::internal(message),
            _ => Self::bad_request(message),
        }
    }
}

impl<E> From<crate::commands::CommandError<E>> for ApiError
where
    E: std::error::Error + Into<ApiError>,
{
    fn from(err: crate::commands::CommandError<E>) -> Self {
        use crate::commands::CommandError;
        match err {
            CommandError::Domain(e) => e.into(),
            CommandError::Conflict => ApiError::conflict(err.to_string()),
            CommandError::Unavailable => ApiError::unavailable(err.to_string(), 1),
            CommandError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        Self::database(err)
    }
}

impl From<domain::IdError> for ApiError {
    fn from(err: domain::IdError) -> Self {
        Self::validation("id", err.to_string())
    }
}

impl From<crate::catalog::CatalogError> for ApiError {
    fn from(err: crate::catalog::CatalogError) -> Self {
        use crate::catalog::CatalogError;
        match err {
            CatalogError::NotFound { .. } => Self::not_found(err.to_string()),
            CatalogError::Unavailable { retry_after_secs } => {
                Self::unavailable("the music catalog is unavailable", retry_after_secs)
            }
            // The upstream's words stay in the log: a 5xx shows no internal detail.
            CatalogError::Upstream(cause) => {
                tracing::warn!(%cause, "music catalog error");
                Self::bad_gateway("the music catalog answered with an error")
            }
        }
    }
}

/// Turns poem-openapi's parse errors (bad JSON, wrong types, bad query parameters,
/// wrong content type, failed authentication) into the JSON shape.
fn from_request_error(err: poem::Error) -> ApiError {
    ApiError::from_status(err.status(), err.to_string())
}

/// The last line of defence: any error that is not already one of ours (unknown routes,
/// wrong methods, errors from poem itself) becomes the JSON shape too.
pub async fn render_any_error(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let message = match status {
        StatusCode::NOT_FOUND => "no such route".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this route".to_owned(),
        _ => err.to_string(),
    };
    let mut resp = ApiError::from_status(status, message).into_response();
    if status == StatusCode::METHOD_NOT_ALLOWED {
        resp.set_status(StatusCode::METHOD_NOT_ALLOWED);
    }
    resp
}

/// Wraps an endpoint so that every error leaves as JSON.
pub fn json_errors<E: Endpoint + 'static>(ep: E) -> impl Endpoint {
    use poem::EndpointExt;
    ep.catch_all_error(render_any_error)
}
