//! Verifying a read model: replay its events into scratch copies of its tables and compare
//! checksums of the copies with the live tables, without changing anything.
//!
//! Everything happens in one transaction that is rolled back. A scratch schema gets an empty
//! copy of each table the projection owns and goes first in `search_path`, so the
//! projection's unqualified SQL writes there while every other table (`events` included)
//! still resolves as usual. The projection's advisory lock keeps the live projector still
//! meanwhile, and the replay stops at the live checkpoint, so both sides fold exactly the
//! same events: a difference is a bug or a tampered row, never lag. Read models must
//! therefore be pure functions of the events (no sequences, no clock) to verify.

use sqlx::{PgConnection, PgPool};

use crate::{
    Projection, ProjectionError, StoredEvent,
    engine::{BATCH, lock},
    stored_event::EVENT_COLUMNS,
};

/// The checksums of one table: live and rebuilt from the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableChecksum {
    pub table: &'static str,
    pub live: String,
    pub rebuilt: String,
}

impl TableChecksum {
    pub fn matches(&self) -> bool {
        self.live == self.rebuilt
    }
}

/// The outcome for one projection; its checksums combine those of its tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub projection: &'static str,
    /// Events replayed: those the live tables have applied.
    pub events: u64,
    pub live: String,
    pub rebuilt: String,
    pub tables: Vec<TableChecksum>,
}

impl Verification {
    pub fn matches(&self) -> bool {
        self.live == self.rebuilt
    }
}

/// Rebuilds `projection` into scratch tables and compares them with the live ones.
pub async fn verify(
    pool: &PgPool,
    projection: &dyn Projection,
) -> Result<Verification, ProjectionError> {
    verify_in_batches(pool, projection, BATCH).await
}

/// `verify`, replaying `batch` events per `apply`: a projection must build the same rows
/// however its events are cut into batches.
pub async fn verify_in_batches(
    pool: &PgPool,
    projection: &dyn Projection,
    batch: i64,
) -> Result<Verification, ProjectionError> {
    let mut tx = pool.begin().await?;
    lock(&mut tx, projection.name()).await?;
    let checkpoint: Option<(String, i64)> =
        sqlx::query_as("select tx_id::text, position from projection_checkpoints where name = $1")
            .bind(projection.name())
            .fetch_optional(&mut *tx)
            .await?;
    // A projection without a checkpoint has applied nothing yet.
    let until = checkpoint.unwrap_or_else(|| ("0".to_owned(), 0));

    let tables = scratch_copies(&mut tx, projection).await?;
    let events = replay(&mut tx, projection, &until, batch).await?;

    let mut checksums = Vec::new();
    for (table, live_name, scratch_name) in &tables {
        checksums.push(TableChecksum {
            table,
            live: checksum(&mut tx, live_name).await?,
            rebuilt: checksum(&mut tx, scratch_name).await?,
        });
    }
    let live = combine(&mut tx, checksums.iter().map(|c| c.live.clone())).await?;
    let rebuilt = combine(&mut tx, checksums.iter().map(|c| c.rebuilt.clone())).await?;
    tx.rollback().await?;
    Ok(Verification {
        projection: projection.name(),
        events,
        live,
        rebuilt,
        tables: checksums,
    })
}

/// Creates an empty scratch copy of each table of the projection and puts the scratch
/// schema first in the transaction's `search_path`; returns (table, live, scratch) names.
///
/// Changing `search_path` also makes PostgreSQL plan the connection's cached statements
/// again, so the projection's prepared SQL follows to the scratch tables and back.
async fn scratch_copies(
    conn: &mut PgConnection,
    projection: &dyn Projection,
) -> Result<Vec<(&'static str, String, String)>, sqlx::Error> {
    let scratch = format!("verify_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("create schema {scratch}"))
        .execute(&mut *conn)
        .await?;
    let mut tables = Vec::new();
    for &table in projection.tables() {
        let live_name = qualified(conn, table).await?;
        let scratch_name = format!("{scratch}.{}", quote_ident(table));
        sqlx::query(&format!(
            "create table {scratch_name} (like {live_name} including all)"
        ))
        .execute(&mut *conn)
        .await?;
        tables.push((table, live_name, scratch_name));
    }
    sqlx::query(
        "select set_config('search_path', $1 || ', ' || current_setting('search_path'), true)",
    )
    .bind(&scratch)
    .execute(&mut *conn)
    .await?;
    Ok(tables)
}

#[derive(sqlx::FromRow)]
struct Replayed {
    #[sqlx(flatten)]
    event: StoredEvent,
    tx_text: String,
}

/// Applies, in global order, every event of the projection up to and including `until`.
async fn replay(
    conn: &mut PgConnection,
    projection: &dyn Projection,
    until: &(String, i64),
    batch_size: i64,
) -> Result<u64, ProjectionError> {
    let mut after = ("0".to_owned(), 0_i64);
    let mut applied = 0;
    loop {
        let batch: Vec<Replayed> = sqlx::query_as(&format!(
            "select {EVENT_COLUMNS}, tx_id::text as tx_text from events
              where aggregate_type = any($1)
                and (tx_id, position) > ($2::text::xid8, $3)
                and (tx_id, position) <= ($4::text::xid8, $5)
              order by tx_id, position
              limit $6"
        ))
        .bind(projection.aggregate_types())
        .bind(&after.0)
        .bind(after.1)
        .bind(&until.0)
        .bind(until.1)
        .bind(batch_size)
        .fetch_all(&mut *conn)
        .await?;
        let Some(last) = batch.last() else {
            return Ok(applied);
        };
        after = (last.tx_text.clone(), last.event.position);
        applied += batch.len() as u64;
        let events: Vec<StoredEvent> = batch.into_iter().map(|row| row.event).collect();
        projection.apply(conn, &events).await?;
    }
}

/// The schema-qualified name of `table` as the live projection resolves it.
async fn qualified(conn: &mut PgConnection, table: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(
        "select format('%I.%I', n.nspname, c.relname)
           from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.oid = $1::text::regclass",
    )
    .bind(table)
    .fetch_one(conn)
    .await
}

/// An md5 over the rows' text forms, sorted, so it ignores the physical row order.
async fn checksum(conn: &mut PgConnection, table: &str) -> Result<String, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select md5(coalesce(string_agg(r, E'\\n' order by r), ''))
           from (select t::text as r from {table} t) rows"
    ))
    .fetch_one(conn)
    .await
}

async fn combine(
    conn: &mut PgConnection,
    parts: impl Iterator<Item = String>,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("select md5(array_to_string($1::text[], ','))")
        .bind(parts.collect::<Vec<_>>())
        .fetch_one(conn)
        .await
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
