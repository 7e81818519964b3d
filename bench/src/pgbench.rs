//! PostgreSQL's own speed on this machine, at the same concurrency as the HTTP load:
//! pgbench's select-only run and a one-row insert per transaction.

use std::path::Path;

use crate::{seed, wrk::Load};

pub const DATABASE: &str = "playpod_bench_pgbench";

#[derive(Debug, Clone)]
pub struct Outcome {
    pub tps: f64,
    pub latency_ms: f64,
}

pub struct Baselines {
    pub select: Outcome,
    pub insert: Outcome,
}

pub async fn run(server_url: &str, load: &Load, dir: &Path) -> crate::Result<Baselines> {
    seed::recreate_database(server_url, DATABASE).await?;
    let url = format!("{server_url}/{DATABASE}");
    pgbench(&["-i", "-q", "-s", "10", &url]).await?;
    let pool = playpod::db::connect(&url).await?;
    sqlx::query(
        "create table bench_insert (id bigint generated always as identity primary key, \
         payload jsonb not null, recorded_at timestamptz not null default now())",
    )
    .execute(&pool)
    .await?;
    pool.close().await;
    let insert = dir.join("insert.sql");
    std::fs::write(
        &insert,
        "insert into bench_insert (payload) values ('{\"PlaybackMoved\": {\"position\": 1}}');\n",
    )?;
    let (clients, seconds) = (load.connections.to_string(), load.seconds.to_string());
    let common = ["-n", "-c", &clients, "-j", "2", "-T", &seconds];
    let select = parse(&pgbench(&[&common[..], &["-S", &url]].concat()).await?)?;
    let insert_path = insert.to_string_lossy();
    let insert = parse(&pgbench(&[&common[..], &["-f", &insert_path, &url]].concat()).await?)?;
    Ok(Baselines { select, insert })
}

async fn pgbench(args: &[&str]) -> crate::Result<String> {
    // Connected as PlayPod connects to a server on this machine: without TLS.
    let output = tokio::process::Command::new("pgbench")
        .env("PGSSLMODE", "disable")
        .args(args)
        .output()
        .await?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("pgbench {args:?} failed: {stdout}{stderr}").into());
    }
    Ok(stdout)
}

/// Reads `tps = 12345.6 (without initial connection time)` and `latency average = 1.2 ms`.
fn parse(report: &str) -> crate::Result<Outcome> {
    let number = |prefix: &str| {
        report
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
            .ok_or_else(|| format!("no '{prefix}' in pgbench's report: {report}"))
    };
    Ok(Outcome {
        tps: number("tps = ")?,
        latency_ms: number("latency average = ")?,
    })
}
