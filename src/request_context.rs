//! Per-request values reachable from deep in a command without threading them through
//! every handler.

tokio::task_local! {
    /// The current request's id (see `X-Request-Id`), recorded in event metadata.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}
