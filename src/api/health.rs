//! Liveness and readiness probes.

use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::{ApiTags, error::ApiError};
use crate::state::AppState;

pub struct HealthApi;

#[derive(Object)]
struct Health {
    status: String,
    /// Readiness only: whether this instance leads the projectors (one instance of a
    /// fleet does).
    #[oai(skip_serializing_if_is_none)]
    projector_leader: Option<bool>,
}

#[derive(ApiResponse)]
enum HealthResponse {
    #[oai(status = 200)]
    Ok(Json<Health>),
}

fn ok(projector_leader: Option<bool>) -> HealthResponse {
    HealthResponse::Ok(Json(Health {
        status: "ok".into(),
        projector_leader,
    }))
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness (public): the process answers.
    #[oai(path = "/health/live", method = "get", operation_id = "health_live")]
    async fn live(&self) -> HealthResponse {
        ok(None)
    }

    /// Readiness (public): the database answers too; 503 otherwise.
    #[oai(path = "/health/ready", method = "get", operation_id = "health_ready")]
    async fn ready(&self, Data(state): Data<&AppState>) -> Result<HealthResponse, ApiError> {
        sqlx::query("select 1")
            .execute(&state.pool)
            .await
            .map_err(|_| ApiError::unavailable("the database is not reachable", 2))?;
        Ok(ok(Some(state.projections.is_leader())))
    }
}
