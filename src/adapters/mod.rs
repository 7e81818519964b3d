//! Adapters to the world outside PlayPod's database.

pub mod media_store;
