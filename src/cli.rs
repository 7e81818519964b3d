//! The `playpod` command line.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "playpod", version, about = "PlayPod music streaming backend")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print the OpenAPI document (JSON) to stdout, or write it to a file.
    Openapi {
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Manage accounts.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Read the event store.
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
    /// Rebuild or verify the read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Grant a role (auditor or analyst) to the account with this email.
    GrantRole { email: String, role: String },
    /// Revoke a role from the account with this email.
    RevokeRole { email: String, role: String },
    /// Delete the account with this email; its tokens stop working at once.
    Delete { email: String },
}

#[derive(Subcommand)]
pub enum EventsCommand {
    /// Stream events in global order to stdout (resumable with --after).
    Export(crate::analytics::export::ExportOptions),
}

#[derive(Subcommand)]
pub enum ProjectionsCommand {
    /// Empty a read model (all when no NAME) and apply every event again.
    Rebuild { name: Option<String> },
    /// Rebuild each read model into scratch tables and compare checksums with the live
    /// tables; exits non-zero when any differs.
    Verify,
}
