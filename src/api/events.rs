//! The event store in global order, for analysts.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, payload::Json};

use super::{
    ApiTags,
    error::{ApiError, ApiResult},
    security::BearerAuth,
};
use crate::{
    analytics::events::{self, Cursor, EventFilter, EventRecord, EventsError},
    state::AppState,
};

pub struct EventsApi;

/// One stored event.
#[derive(Object)]
struct Event {
    /// Stable cursor: pass it as `after` to continue after this event.
    position: i64,
    recorded_at: DateTime<Utc>,
    aggregate_type: String,
    aggregate_id: String,
    /// The event's number within its aggregate.
    sequence: i64,
    event_type: String,
    event_version: String,
    /// The user whose command wrote the event.
    #[oai(nullable)]
    actor: Option<String>,
    /// The HTTP request that wrote the event.
    #[oai(nullable)]
    request_id: Option<String>,
    /// The event as stored, tagged with its type.
    payload: serde_json::Value,
}

#[derive(Object)]
struct EventPage {
    events: Vec<Event>,
    /// Pass as `after` for the next page: the last event's position, or the given `after`
    /// when the page is empty (poll with it to wait for new events).
    next_after: i64,
}

#[derive(ApiResponse)]
enum EventPageResponse {
    /// One page of events and the cursor for the next.
    #[oai(status = 200)]
    Ok(Json<EventPage>),
}

impl From<EventRecord> for Event {
    fn from(e: EventRecord) -> Self {
        Self {
            position: e.position,
            recorded_at: e.recorded_at,
            aggregate_type: e.aggregate_type,
            aggregate_id: e.aggregate_id,
            sequence: e.sequence,
            event_type: e.event_type,
            event_version: e.event_version,
            actor: e.actor,
            request_id: e.request_id,
            payload: e.payload,
        }
    }
}

impl From<EventsError> for ApiError {
    fn from(err: EventsError) -> Self {
        match err {
            EventsError::UnknownPosition(_) => ApiError::validation("after", err.to_string()),
            EventsError::Database(db) => ApiError::database(db),
        }
    }
}

fn default_limit() -> i64 {
    100
}

#[OpenApi(tag = "ApiTags::Events")]
impl EventsApi {
    /// Events in global order (role `analyst`).
    ///
    /// Every event of the store, oldest first, in the order the read models apply them.
    /// Positions are stable cursors: pass the last one seen (`next_after`) as `after` to get
    /// the next page. The order never skips an event whose transaction commits late: an
    /// event is served only once every transaction older than its own has finished, so no
    /// event can appear later before a position already served. Other users get 403.
    #[oai(path = "/api/events/", method = "get", operation_id = "list_events")]
    async fn list(
        &self,
        Data(state): Data<&AppState>,
        auth: BearerAuth,
        /// Position of the last event already seen; 0 (the default) starts at the beginning.
        #[oai(default, validator(minimum(value = "0")))]
        after: Query<i64>,
        /// How many events at most, 1 to 1000.
        #[oai(
            default = "default_limit",
            validator(minimum(value = "1"), maximum(value = "1000"))
        )]
        limit: Query<i64>,
        /// Only events of this type, e.g. `TrackPlayed`.
        #[oai(name = "type")]
        event_type: Query<Option<String>>,
    ) -> ApiResult<EventPageResponse> {
        if !auth.user().has_role("analyst") {
            return Err(ApiError::forbidden("reading events needs the analyst role"));
        }
        let cursor = Cursor::after(&state.pool, after.0).await?;
        let filter = EventFilter {
            event_type: event_type.0,
            ..EventFilter::default()
        };
        let page = events::page(&state.pool, &filter, &cursor, limit.0).await?;
        let next_after = page.last().map_or(cursor.position(), |e| e.position);
        Ok(EventPageResponse::Ok(Json(EventPage {
            events: page.into_iter().map(Event::from).collect(),
            next_after,
        })))
    }
}
