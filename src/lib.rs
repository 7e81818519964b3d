//! PlayPod: an event-sourced music streaming backend.

pub mod accounts;
pub mod adapters;
pub mod api;
pub mod auth;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod playlists;
pub mod read_models;
pub mod request_context;
pub mod startup;
pub mod state;
pub mod telemetry;
