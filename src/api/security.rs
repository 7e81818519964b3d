//! The bearer-token security scheme shared by every protected endpoint.

use poem::Request;
use poem_openapi::{
    SecurityScheme,
    auth::{ApiKey, Bearer},
};

use super::error::ApiError;
use crate::{
    auth::sessions::{self, CurrentUser, SessionError},
    state::AppState,
};

/// A JWT access token from `POST /api/accounts/token/`, sent as `Authorization: Bearer <access>`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_bearer")]
pub struct BearerAuth(pub CurrentUser);

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<CurrentUser> {
    authenticate(req, &bearer.token).await
}

/// The same access token as the query parameter `access_token`, for media that a client
/// cannot fetch with headers (an `<audio src>`). PlayPod never logs query strings.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "access_token",
    key_in = "query",
    checker = "check_query_token"
)]
pub struct QueryTokenAuth(pub CurrentUser);

async fn check_query_token(req: &Request, key: ApiKey) -> poem::Result<CurrentUser> {
    authenticate(req, &key.key).await
}

/// Either way of presenting the access token.
#[derive(SecurityScheme)]
pub enum MediaAuth {
    Bearer(BearerAuth),
    Query(QueryTokenAuth),
}

async fn authenticate(req: &Request, token: &str) -> poem::Result<CurrentUser> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("AppState missing from the request"))?;
    sessions::authenticate(&state.pool, &state.sessions, &state.jwt, token)
        .await
        .map_err(|err| match err {
            SessionError::Database(db) => ApiError::database(db).into(),
            other => ApiError::unauthorized(other.to_string()).into(),
        })
}

impl BearerAuth {
    pub fn user(&self) -> &CurrentUser {
        &self.0
    }
}
