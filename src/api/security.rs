//! The bearer-token security scheme shared by every protected endpoint.

use poem::Request;
use poem_openapi::{SecurityScheme, auth::Bearer};

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
    let state = req
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("AppState missing from the request"))?;
    sessions::authenticate(&state.pool, &state.jwt, &bearer.token)
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
