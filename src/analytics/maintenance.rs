//! `playpod projections rebuild|verify`: rebuild read models from the events, or check
//! that rebuilding them would give exactly the rows they hold.

use std::{io::Write, sync::Arc, time::Duration};

use projections::{
    Projection, ProjectionEngine, ProjectionError,
    verify::{self, Verification},
};
use sqlx::PgPool;

use super::progress::Progress;

#[derive(Debug, thiserror::Error)]
pub enum MaintenanceError {
    #[error("no projection is named {name:?}; projections: {known}")]
    UnknownProjection { name: String, known: String },
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// The projection called `name`, or all of them.
pub fn select(
    engine: &ProjectionEngine,
    name: Option<&str>,
) -> Result<Vec<Arc<dyn Projection>>, MaintenanceError> {
    match name {
        None => Ok(engine.projections().to_vec()),
        Some(name) => engine.find(name).map(|p| vec![p]).ok_or_else(|| {
            let known: Vec<_> = engine.projections().iter().map(|p| p.name()).collect();
            MaintenanceError::UnknownProjection {
                name: name.to_owned(),
                known: known.join(", "),
            }
        }),
    }
}

/// Rebuilds the projection `name` (all when `None`, side by side from one read of the
/// events: each is its own transaction on its own connection, so PostgreSQL works on all of
/// them at once), writing one line per read model with its throughput to `out`; returns the
/// events applied per projection.
pub async fn rebuild(
    engine: &ProjectionEngine,
    pool: &PgPool,
    name: Option<&str>,
    out: &mut impl Write,
) -> Result<Vec<(&'static str, u64)>, MaintenanceError> {
    let selected = select(engine, name)?;
    let rebuilt = match selected.as_slice() {
        // One progress line can be drawn; several rebuilds at once would scramble it.
        [projection] => vec![rebuild_one(engine, pool, projection.as_ref()).await?],
        _ => {
            let projections: Vec<&dyn Projection> = selected.iter().map(|p| p.as_ref()).collect();
            let rebuilt = engine.rebuild_together(&projections).await?;
            projections
                .iter()
                .zip(rebuilt)
                .map(|(p, (applied, elapsed))| (p.name(), applied, elapsed))
                .collect()
        }
    };
    for (name, applied, elapsed) in &rebuilt {
        writeln!(
            out,
            "{name}: rebuilt from {applied} events in {:.2} s ({:.0} events/s)",
            elapsed.as_secs_f64(),
            *applied as f64 / elapsed.as_secs_f64().max(1e-3),
        )?;
    }
    Ok(rebuilt.into_iter().map(|(n, a, _)| (n, a)).collect())
}

async fn rebuild_one(
    engine: &ProjectionEngine,
    pool: &PgPool,
    projection: &dyn Projection,
) -> Result<(&'static str, u64, Duration), MaintenanceError> {
    let mut progress = Progress::on_terminal(projection.name());
    if progress.is_visible() {
        progress.set_total(count_events(pool, projection.aggregate_types()).await?);
    }
    let applied = engine
        .rebuild_reporting(projection, &mut |n| progress.advance(n))
        .await?;
    progress.finish();
    Ok((projection.name(), applied, progress.elapsed()))
}

async fn count_events(pool: &PgPool, aggregate_types: &[&str]) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("select count(*) from events where aggregate_type = any($1)")
        .bind(aggregate_types)
        .fetch_one(pool)
        .await?;
    Ok(n as u64)
}

/// Verifies every projection, writing a checksum line per read model (and per differing
/// table) to `out`; returns the verifications, all matching or not.
pub async fn verify_all(
    engine: &ProjectionEngine,
    pool: &PgPool,
    out: &mut impl Write,
) -> Result<Vec<Verification>, MaintenanceError> {
    writeln!(
        out,
        "{:<20} {:<32} {:<32} result",
        "read model", "live checksum", "rebuilt checksum"
    )?;
    let mut results = Vec::new();
    for projection in engine.projections() {
        let v = verify::verify(pool, projection.as_ref()).await?;
        let verdict = if v.matches() { "OK" } else { "DIFFERS" };
        writeln!(
            out,
            "{:<20} {:<32} {:<32} {verdict}",
            v.projection, v.live, v.rebuilt
        )?;
        for table in v.tables.iter().filter(|t| !t.matches()) {
            writeln!(
                out,
                "  table {:<14} {:<32} {:<32} DIFFERS",
                table.table, table.live, table.rebuilt
            )?;
        }
        results.push(v);
    }
    Ok(results)
}
