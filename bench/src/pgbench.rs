//! PostgreSQL's own speed on this machine, at the same concurrency as the HTTP load:
//! pgbench's select-only run and a one-row insert per transaction.

use std::path::Path;

use sqlx::PgPool;

use crate::{
    cost::{Cost, Meter},
    seed,
    wrk::Load,
};

pub const DATABASE: &str = "playpod_bench_pgbench";

#[derive(Debug, Clone)]
pub struct Outcome {
    pub tps: f64,
    pub latency_ms: f64,
    pub cost: Cost,
}

/// What pgbench printed of a run.
#[derive(Debug)]
struct Report {
    tps: f64,
    latency_ms: f64,
    transactions: u64,
}

pub struct Baselines {
    pub select: Outcome,
    pub insert: Outcome,
}

/// `metered` reads the WAL position for the cost per transaction; any database will do.
pub async fn run(
    server_url: &str,
    load: &Load,
    dir: &Path,
    metered: &PgPool,
) -> crate::Result<Baselines> {
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
    let select = measured(metered, &[&common[..], &["-S", &url]].concat()).await?;
    let insert_path = insert.to_string_lossy();
    let insert = measured(
        metered,
        &[&common[..], &["-f", &insert_path, &url]].concat(),
    )
    .await?;
    Ok(Baselines { select, insert })
}

async fn measured(metered: &PgPool, args: &[&str]) -> crate::Result<Outcome> {
    let meter = Meter::start(metered).await?;
    let report = parse(&pgbench(args).await?)?;
    Ok(Outcome {
        tps: report.tps,
        latency_ms: report.latency_ms,
        cost: meter.stop(metered, report.transactions).await?,
    })
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

/// Reads `number of transactions actually processed: 123456`, `tps = 12345.6 (without
/// initial connection time)` and `latency average = 1.2 ms`.
fn parse(report: &str) -> crate::Result<Report> {
    let number = |prefix: &str| {
        report
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
            .ok_or_else(|| format!("no '{prefix}' in pgbench's report: {report}"))
    };
    Ok(Report {
        tps: number("tps = ")?,
        latency_ms: number("latency average = ")?,
        transactions: number("number of transactions actually processed: ")? as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_rate_latency_and_count_from_a_report() {
        let report = "transaction type: <builtin: select only>\n\
                      number of transactions actually processed: 281706\n\
                      number of failed transactions: 0 (0.000%)\n\
                      latency average = 3.405 ms\n\
                      tps = 18782.4 (without initial connection time)\n";
        let report = parse(report).unwrap();
        assert_eq!(report.transactions, 281_706);
        assert_eq!(report.tps, 18782.4);
        assert_eq!(report.latency_ms, 3.405);
    }

    #[test]
    fn a_report_without_a_rate_is_an_error() {
        assert!(parse("number of transactions actually processed: 1\n").is_err());
    }
}
