//! playpod-bench: seeds a database through PlayPod's domain events, loads the release
//! server with wrk, measures PostgreSQL's own speed beside it and writes BENCHMARKS.md
//! (issue #7). `scripts/bench` builds everything and runs `playpod-bench run`.

mod aggregate_cost;
mod cases;
mod catalog;
mod cold_pass;
mod copy;
mod cost;
mod pgbench;
mod report;
mod seed;
mod server;
mod wrk;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    time::{Duration, Instant},
};

use clap::{Args, Parser, Subcommand};
use cqrs_es::Aggregate;
use domain::playlist::Playlist;
use playpod::auth::{JwtKeys, TokenKind};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    cases::Kind,
    report::{CaseResult, Contention, Machine, Rebuild, Results, Startup},
    seed::{Seeded, Size},
    server::Server,
    wrk::Load,
};

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Parser)]
#[command(name = "playpod-bench", about = "Benchmarks PlayPod (issue #7)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Drop and recreate the database, then seed it (no read models: see `run`).
    Seed(Data),
    /// Seed, rebuild the read models, load the server, write BENCHMARKS.md.
    Run(RunArgs),
}

#[derive(Args)]
struct Data {
    /// Fraction of the full data set (1: 10,000 users, 50,000 playlists, 1,000,000 plays).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// PostgreSQL server, without a database name.
    #[arg(
        long,
        env = "PG_SERVER_URL",
        default_value = "postgres://postgres:postgres@127.0.0.1:5432"
    )]
    server_url: String,
    /// Dropped and created again.
    #[arg(long, default_value = "playpod_bench")]
    database: String,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    data: Data,
    /// Length of each load case.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// The server binary; by default the `playpod` next to this one (target/release).
    #[arg(long)]
    playpod: Option<PathBuf>,
    #[arg(long, default_value = "BENCHMARKS.md")]
    output: PathBuf,
    /// Where the wrk scripts and request lines go.
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
}

#[tokio::main]
async fn main() -> ExitCode {
    // reqwest is built without a default crypto provider, as in the server.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let outcome = match Cli::parse().command {
        Command::Seed(data) => seed_only(&data).await,
        Command::Run(args) => run(args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("playpod-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

/// An unmeasured run before each read case.
pub const WARM_UP_SECONDS: u64 = 3;

fn say(what: &str) {
    eprintln!("==> {what}");
}

async fn seed_only(data: &Data) -> Result<()> {
    let tracks = catalog::tracks().await?;
    seed::recreate_database(&data.server_url, &data.database).await?;
    let pool = playpod::db::connect(&format!("{}/{}", data.server_url, data.database)).await?;
    let seeded = seed::seed(&pool, &Size::scaled(data.scale), &tracks).await?;
    say(&format!("seeded {} events", seeded.total_events()));
    Ok(())
}

async fn run(args: RunArgs) -> Result<()> {
    let data = &args.data;
    let playpod = match &args.playpod {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("playpod"),
    };
    let database_url = format!("{}/{}", data.server_url, data.database);
    let secret_key = format!("playpod-bench-{}", Uuid::new_v4().simple());
    let load = Load {
        connections: args.connections,
        seconds: args.seconds,
    };
    let size = Size::scaled(data.scale);
    let tracks = catalog::tracks().await?;

    say("start-up on an empty database");
    seed::recreate_database(&data.server_url, &data.database).await?;
    let fresh = Server::start(&playpod, &database_url, &secret_key).await?;
    let startup_empty = Startup {
        time: fresh.startup,
        idle_rss_kb: fresh.idle_rss_kb,
    };
    fresh.stop().await?;
    say(&format!("ready in {:.0?}", startup_empty.time));

    say(&format!("seeding {size:?}"));
    let pool = playpod::db::connect(&database_url).await?;
    let started = Instant::now();
    let seeded = seed::seed(&pool, &size, &tracks).await?;
    let seed_time = started.elapsed();
    say(&format!(
        "seeded {} events in {seed_time:.1?}",
        seeded.total_events()
    ));

    say("rebuilding the read models");
    let rebuild = rebuild(&playpod, &database_url, &secret_key).await?;
    say(&format!("rebuilt in {:.1?}", rebuild.time));
    // Autovacuum would gather statistics within a minute of a bulk load; the load cases
    // should not measure the plans of a database it has not looked at yet.
    sqlx::query("analyze").execute(&pool).await?;

    let server = Server::start(&playpod, &database_url, &secret_key).await?;
    let startup_seeded = Startup {
        time: server.startup,
        idle_rss_kb: server.idle_rss_kb,
    };
    // Minted now, not before seeding: access tokens live 15 minutes.
    let keys = JwtKeys::new(secret_key.as_bytes());
    let token = |user: Uuid| keys.issue(user, Uuid::new_v4(), TokenKind::Access, &[]).0;
    let tokens: Vec<String> = seeded.users[..size.load_users]
        .iter()
        .map(|&u| token(u))
        .collect();
    let all_cases = cases::all(&seeded, &tracks, size.load_users);
    let mut results = Vec::new();
    let mut contention = None;
    for case in &all_cases {
        say(&format!("load: {}", case.name));
        wrk::prepare(&args.work_dir, case.name, &tokens, &case.lines)?;
        if matches!(case.kind, Kind::Read | Kind::Baseline) {
            // Measured warm, as pgbench's tables are: the first pass over the load users
            // fills the kept answers and PostgreSQL's buffers. Writes are not replayed
            // twice (a track already added is refused).
            let warm_up = Load {
                seconds: WARM_UP_SECONDS,
                ..load
            };
            wrk::run(&args.work_dir, case.name, &warm_up, &server.base_url).await?;
        }
        let cold = if case.cold_pass.is_empty() {
            None
        } else {
            let pass = cold_pass::run(&server.base_url, &tokens, &case.cold_pass, load.connections)
                .await?;
            say(&format!(
                "{}: cold pass {:.0} req/s, p99 {:.2} ms, failed {}",
                case.name,
                pass.per_second(),
                pass.p99.as_secs_f64() * 1e3,
                pass.failed
            ));
            Some(pass)
        };
        let sampler = server.sample_rss();
        let meter = cost::Meter::start(&pool).await?;
        let outcome = wrk::run(&args.work_dir, case.name, &load, &server.base_url).await?;
        let cost = meter.stop(&pool, outcome.requests).await?;
        let max_rss_kb = sampler.stop();
        say(&format!(
            "{}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, failed {}, max RSS {} kB",
            case.name,
            outcome.per_second(),
            outcome.p50_us / 1e3,
            outcome.p99_us / 1e3,
            outcome.errors_by_kind(),
            max_rss_kb
        ));
        for failure in &outcome.failures {
            say(&format!("{}: answered {failure}", case.name));
        }
        if case.kind == Kind::Contended {
            contention = Some(contention_after(&pool, &seeded, &outcome).await?);
        }
        results.push(CaseResult {
            case,
            cold,
            outcome,
            cost,
            max_rss_kb,
        });
    }

    say("aggregate cost");
    let aggregate = aggregate_cost::run(
        &pool,
        &server.base_url,
        (seeded.light_user, &token(seeded.light_user)),
        (seeded.heavy_user, &token(seeded.heavy_user)),
    )
    .await?;
    let peak_rss_kb = server.peak_rss_kb();
    server.stop().await?;

    say("baselines: pgbench");
    let baselines = pgbench::run(&data.server_url, &load, &args.work_dir, &pool).await?;

    let results = Results {
        command: std::iter::once("scripts/bench".to_owned())
            .chain(std::env::args().skip(2))
            .collect::<Vec<_>>()
            .join(" "),
        machine: machine(&pool).await?,
        size,
        seeded: &seeded,
        seed_time,
        rebuild,
        startup_empty,
        startup_seeded,
        load,
        cases: results,
        contention: contention.ok_or("the contended case did not run")?,
        aggregate,
        peak_rss_kb,
        baselines,
    };
    report::write(&args.output, &results)?;
    say(&format!("wrote {}", args.output.display()));
    Ok(())
}

/// `playpod projections rebuild` as an operator runs it, timed from the outside.
async fn rebuild(playpod: &Path, database_url: &str, secret_key: &str) -> Result<Rebuild> {
    let pool = playpod::db::connect(database_url).await?;
    let events: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    let started = Instant::now();
    let output = tokio::process::Command::new(playpod)
        .args(["projections", "rebuild"])
        .env("DATABASE_URL", database_url)
        .env("SECRET_KEY", secret_key)
        .env("RUST_LOG", "warn")
        .output()
        .await?;
    let time = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("projections rebuild failed: {stdout}{stderr}").into());
    }
    Ok(Rebuild {
        events: events as u64,
        time,
        output: stdout,
    })
}

/// Counts the contended playlist's events and read-model rows once the requests still
/// in flight when wrk stopped have been answered.
async fn contention_after(
    pool: &PgPool,
    seeded: &Seeded,
    outcome: &wrk::Outcome,
) -> Result<Contention> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let id = seeded.contended_playlist;
    let (added, removed): (i64, i64) = sqlx::query_as(
        "select count(*) filter (where event_type = 'TrackAdded'),
                count(*) filter (where event_type = 'TrackRemoved')
         from events where aggregate_type = $1 and aggregate_id = $2",
    )
    .bind(Playlist::TYPE)
    .bind(id.to_string())
    .fetch_one(pool)
    .await?;
    let (track_count, tracks_in_read_model): (i32, i64) = sqlx::query_as(
        "select track_count, (select count(*) from playlist_tracks where playlist_id = $1)
         from playlists where id = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await?;
    let added_by_run = added - seeded.contended_initial as i64;
    Ok(Contention {
        acknowledged: outcome.succeeded(),
        written: (added_by_run + removed) as u64,
        track_count: track_count.into(),
        tracks_in_read_model,
        expected_tracks: added - removed,
    })
}

async fn machine(pool: &PgPool) -> Result<Machine> {
    let postgres: String =
        sqlx::query_scalar("select 'PostgreSQL ' || current_setting('server_version')")
            .fetch_one(pool)
            .await?;
    let meminfo = std::fs::read_to_string("/proc/meminfo")?;
    let ram_kb: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok(Machine {
        cores: std::thread::available_parallelism()?.get(),
        ram_mb: ram_kb / 1024,
        postgres,
    })
}
