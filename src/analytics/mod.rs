//! For analysts and operators: the event store in global order (export, paging) and the
//! tools that rebuild and verify read models from it.

pub mod events;
pub mod export;
pub mod maintenance;
pub mod progress;
