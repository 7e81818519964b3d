//! PlayPod: an event-sourced music streaming backend.

pub mod accounts;
pub mod adapters;
pub mod analytics;
pub mod api;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod event_store;
pub mod playlists;
pub mod radio;
pub mod read_models;
pub mod request_context;
pub mod startup;
pub mod state;
pub mod telemetry;
