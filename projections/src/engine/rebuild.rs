//! Rebuilding read models: a projection's tables are emptied and every event is applied
//! again (or folded in memory, see `Projection::fold`) in one transaction, so readers see
//! the old rows until the new ones are complete.
//!
//! Several read models rebuilt together share one read of the events, on a connection of
//! its own, which hands each batch to all of them: reading (PostgreSQL rendering every
//! `jsonb` payload as text) was most of each rebuild, and each read the same events.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use sqlx::{PgConnection, Postgres, Transaction};
use tokio::sync::mpsc;

use super::{BATCH, Fold, Projection, ProjectionEngine, ProjectionError, lock_for_applying};
use crate::{Checkpoint, StoredEvent, stored_event::EVENT_COLUMNS};

/// Batches the reader may be ahead of the slowest read model it feeds.
const READ_AHEAD: usize = 2;
/// Events a rebuild reads at a time: more than a live batch, as a rebuild has no command
/// waiting for each one, and every batch costs each read model a few statements.
const REBUILD_BATCH: i64 = 5 * BATCH;

impl ProjectionEngine {
    /// Rebuilds one read model.
    pub async fn rebuild(&self, projection: &dyn Projection) -> Result<u64, ProjectionError> {
        self.rebuild_reporting(projection, &mut |_| {}).await
    }

    /// `rebuild`, telling `progress` how many events each batch applied (for a progress bar).
    pub async fn rebuild_reporting(
        &self,
        projection: &dyn Projection,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64, ProjectionError> {
        self.rebuild_in_batches(projection, REBUILD_BATCH, progress)
            .await
    }

    /// `rebuild_reporting`, reading `size` events at a time: a read model must come out
    /// the same however its rebuild's batches are cut.
    pub async fn rebuild_in_batches(
        &self,
        projection: &dyn Projection,
        size: i64,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<u64, ProjectionError> {
        let types = projection.aggregate_types();
        let mut rebuilding = Rebuilding::start(&self.pool, projection).await?;
        let mut after = Checkpoint::default();
        loop {
            let batch = read_batch(&mut rebuilding.tx, types, after, size).await?;
            rebuilding.take(&batch.events).await?;
            progress(batch.events.len() as u64);
            after = batch.last.unwrap_or(after);
            if batch.was_last() {
                break;
            }
        }
        let applied = rebuilding.finish(after).await?;
        self.progress
            .load(&self.pool, &self.projection_names())
            .await?;
        Ok(applied)
    }

    /// Rebuilds `projections` side by side from one read of the events; returns, for each
    /// in order, the events it applied and how long it took.
    pub async fn rebuild_together(
        &self,
        projections: &[&dyn Projection],
    ) -> Result<Vec<(u64, Duration)>, ProjectionError> {
        let started = Instant::now();
        let mut types: Vec<&'static str> = projections
            .iter()
            .flat_map(|p| p.aggregate_types().iter().copied())
            .collect();
        types.sort_unstable();
        types.dedup();
        let mut feeds = Vec::new();
        let mut workers = Vec::new();
        for &projection in projections {
            let rebuilding = Rebuilding::start(&self.pool, projection).await?;
            let (feed, batches) = mpsc::channel(READ_AHEAD);
            feeds.push(feed);
            workers.push(async move {
                let applied = rebuilding.run(batches).await?;
                Ok::<_, ProjectionError>((applied, started.elapsed()))
            });
        }
        // The reader owns the feeds: however it ends, they close with it, and a read model
        // whose feed closes after the last batch has seen everything.
        let read = async move {
            let mut conn = self.pool.acquire().await?;
            let mut after = Checkpoint::default();
            loop {
                let batch = Arc::new(read_batch(&mut conn, &types, after, REBUILD_BATCH).await?);
                after = batch.last.unwrap_or(after);
                for feed in &feeds {
                    // A read model that stopped has failed, and its error ends the rebuild.
                    if feed.send(batch.clone()).await.is_err() {
                        return Ok(());
                    }
                }
                if batch.was_last() {
                    return Ok::<_, ProjectionError>(());
                }
            }
        };
        let ((), rebuilt) = tokio::try_join!(read, futures::future::try_join_all(workers))?;
        self.progress
            .load(&self.pool, &self.projection_names())
            .await?;
        Ok(rebuilt)
    }
}

/// One read model being rebuilt, in its own transaction.
struct Rebuilding<'a> {
    tx: Transaction<'static, Postgres>,
    projection: &'a dyn Projection,
    fold: Option<Box<dyn Fold>>,
    applied: u64,
}

impl<'a> Rebuilding<'a> {
    /// Takes the projection's lock and empties its tables (`finish` sets the checkpoint).
    async fn start(
        pool: &sqlx::PgPool,
        projection: &'a dyn Projection,
    ) -> Result<Self, ProjectionError> {
        let mut tx = pool.begin().await?;
        lock_for_applying(&mut tx, projection.name()).await?;
        for table in projection.tables() {
            sqlx::query(&format!("delete from {table}"))
                .execute(&mut *tx)
                .await?;
        }
        Ok(Self {
            tx,
            projection,
            fold: projection.fold(),
            applied: 0,
        })
    }

    /// Applies (or folds) events of the projection's types, in global order.
    async fn take(&mut self, events: &[StoredEvent]) -> Result<(), ProjectionError> {
        if events.is_empty() {
            return Ok(());
        }
        self.applied += events.len() as u64;
        let Some(fold) = &mut self.fold else {
            return self.projection.apply(&mut self.tx, events).await;
        };
        fold.fold(events)?;
        if fold.is_full()
            && let Some(fold) = self.fold.take()
        {
            fold.write(&mut self.tx).await?;
        }
        Ok(())
    }

    /// Takes every batch the reader sends, keeping those of the projection's types, until
    /// it closes the feed; then finishes.
    async fn run(
        mut self,
        mut batches: mpsc::Receiver<Arc<Batch>>,
    ) -> Result<u64, ProjectionError> {
        let types = self.projection.aggregate_types();
        let mut after = Checkpoint::default();
        while let Some(batch) = batches.recv().await {
            if batch
                .events
                .iter()
                .all(|e| types.contains(&e.aggregate_type.as_str()))
            {
                self.take(&batch.events).await?;
            } else {
                let mine: Vec<StoredEvent> = batch
                    .events
                    .iter()
                    .filter(|e| types.contains(&e.aggregate_type.as_str()))
                    .cloned()
                    .collect();
                self.take(&mine).await?;
            }
            after = batch.last.unwrap_or(after);
        }
        self.finish(after).await
    }

    /// Writes what was folded, sets the checkpoint to the last event read and commits.
    async fn finish(mut self, at: Checkpoint) -> Result<u64, ProjectionError> {
        if let Some(fold) = self.fold.take() {
            fold.write(&mut self.tx).await?;
        }
        sqlx::query(
            "update projection_checkpoints set tx_id = $2::text::xid8, position = $3
              where name = $1",
        )
        .bind(self.projection.name())
        .bind(at.tx_id.to_string())
        .bind(at.position)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(self.applied)
    }
}

/// Up to `size` finished events after `after` in global order, those of `types` kept.
struct Batch {
    events: Vec<StoredEvent>,
    read: usize,
    size: usize,
    /// Where the batch ends in the global order, whatever the type of its last event.
    last: Option<Checkpoint>,
}

impl Batch {
    /// A short batch means every finished event has been read.
    fn was_last(&self) -> bool {
        self.read < self.size
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    event: StoredEvent,
    tx_id: i64,
}

async fn read_batch(
    conn: &mut PgConnection,
    types: &[&str],
    after: Checkpoint,
    size: i64,
) -> Result<Batch, ProjectionError> {
    // As in `apply_batch`: range scans of an index in global order either way.
    let of_types = match types {
        [_] => "and e.aggregate_type = ($3::text[])[1]",
        _ => "and $3::text[] is not null",
    };
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select {EVENT_COLUMNS}, e.tx_id::text::bigint as tx_id from events e
          where (e.tx_id, e.position) > ($1::text::xid8, $2)
            and e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
            {of_types}
          order by e.tx_id, e.position
          limit $4"
    ))
    .bind(after.tx_id.to_string())
    .bind(after.position)
    .bind(types)
    .bind(size)
    .fetch_all(conn)
    .await?;
    let read = rows.len();
    let last = rows.last().map(|row| Checkpoint {
        tx_id: row.tx_id,
        position: row.event.position,
    });
    let events = rows
        .into_iter()
        .map(|row| row.event)
        .filter(|e| types.contains(&e.aggregate_type.as_str()))
        .collect();
    Ok(Batch {
        events,
        read,
        size: size as usize,
        last,
    })
}
