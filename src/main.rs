use std::process::ExitCode;

use clap::Parser;
use playpod::{
    accounts,
    analytics::{export, maintenance, progress::Progress},
    cli::{Cli, Command, EventsCommand, ProjectionsCommand, UsersCommand},
    config::Settings,
    db,
    startup::{self, Application},
    telemetry,
};

/// glibc's malloc was a fifth of the server's CPU under load (perf; BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    let _ = rustls::crypto::ring::default_provider().install_default();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("playpod: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Openapi { output } => {
            let spec = playpod::api::spec_document();
            match output {
                Some(path) => std::fs::write(path, spec + "\n")?,
                None => println!("{spec}"),
            }
        }
        Command::Users { command } => {
            let state = startup::build_state(settings).await?;
            let pool = &state.pool;
            let (done, what) = match &command {
                UsersCommand::GrantRole { email, role }
                | UsersCommand::RevokeRole { email, role } => {
                    if !accounts::ROLES.contains(&role.as_str()) {
                        return Err(format!(
                            "unknown role {role:?}; roles: {}",
                            accounts::ROLES.join(", ")
                        )
                        .into());
                    }
                    let grant = matches!(command, UsersCommand::GrantRole { .. });
                    (accounts::set_role(pool, email, role, grant).await?, email)
                }
                UsersCommand::Delete { email } => (accounts::delete(pool, email).await?, email),
            };
            if !done {
                return Err(format!("no account with email {what}").into());
            }
            println!("done");
        }
        Command::Events {
            command: EventsCommand::Export(options),
        } => {
            let pool = db::connect(settings.database_url.expose()).await?;
            let mut progress = Progress::on_terminal("exporting");
            export::export(&pool, &options, std::io::stdout().lock(), &mut progress).await?;
        }
        Command::Projections { command } => {
            let state = startup::build_state(settings).await?;
            let (engine, pool, out) = (&state.projections, &state.pool, &mut std::io::stdout());
            match command {
                ProjectionsCommand::Rebuild { name } => {
                    maintenance::rebuild(engine, pool, name.as_deref(), out).await?;
                }
                ProjectionsCommand::Verify => {
                    let results = maintenance::verify_all(engine, pool, out).await?;
                    if !results.iter().all(|v| v.matches()) {
                        return Err("a read model differs from its rebuild".into());
                    }
                }
            }
        }
    }
    Ok(())
}
