//! Bulk loading with COPY (CSV). Each batch commits in a transaction of its own: no
//! transaction grows without bound, and a long one would hold back the projections'
//! global order for everything else on the cluster.

use std::{collections::BTreeMap, io::Write};

use chrono::{DateTime, Utc};
use cqrs_es::{Aggregate, DomainEvent};
use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

/// About 20,000 events a transaction.
const BATCH_BYTES: usize = 8 << 20;

const EVENTS_COPY: &str = "copy events (aggregate_type, aggregate_id, sequence, event_type, \
     event_version, payload, metadata, recorded_at) from stdin with (format csv)";

pub async fn users(pool: &PgPool, users: &[Uuid], password_hash: &str) -> crate::Result<()> {
    let mut rows = Vec::new();
    for (n, id) in users.iter().enumerate() {
        write!(rows, "{id},bench{n},bench{n}@bench.playpod.test,")?;
        push_quoted(&mut rows, password_hash.as_bytes());
        rows.push(b'\n');
    }
    let copy = "copy users (id, username, email, password_hash) from stdin with (format csv)";
    batch(pool, copy, rows).await
}

/// Receives the generator's batches until it is done.
pub async fn events(pool: &PgPool, mut batches: mpsc::Receiver<Vec<u8>>) -> crate::Result<()> {
    while let Some(rows) = batches.recv().await {
        batch(pool, EVENTS_COPY, rows).await?;
    }
    Ok(())
}

async fn batch(pool: &PgPool, statement: &str, rows: Vec<u8>) -> crate::Result<()> {
    let mut tx = pool.begin().await?;
    let mut copy = tx.copy_in_raw(statement).await?;
    copy.send(rows).await?;
    copy.finish().await?;
    tx.commit().await?;
    Ok(())
}

/// Event rows in the form cqrs-es writes them, handed to the loader in batches.
pub struct EventRows {
    sender: mpsc::Sender<Vec<u8>>,
    rows: Vec<u8>,
    payload: Vec<u8>,
    counts: BTreeMap<String, u64>,
}

impl EventRows {
    pub fn new(sender: mpsc::Sender<Vec<u8>>) -> Self {
        Self {
            sender,
            rows: Vec::with_capacity(BATCH_BYTES + (1 << 20)),
            payload: Vec::new(),
            counts: BTreeMap::new(),
        }
    }

    /// One aggregate's events, with sequences from 1 (as cqrs-es numbers them).
    pub fn aggregate<A: Aggregate>(
        &mut self,
        id: &str,
        actor: Uuid,
        events: &[A::Event],
        times: impl Iterator<Item = DateTime<Utc>>,
    ) -> crate::Result<()> {
        for ((sequence, event), at) in (1..).zip(events).zip(times) {
            // As the server records them: the actor and an id of the request.
            let metadata = format!(r#"{{"actor":"{actor}","request_id":"{}"}}"#, Uuid::now_v7());
            let event_type = event.event_type();
            write!(
                self.rows,
                "{},{id},{sequence},{event_type},{},",
                A::TYPE,
                event.event_version()
            )?;
            self.payload.clear();
            serde_json::to_writer(&mut self.payload, event)?;
            push_quoted(&mut self.rows, &self.payload);
            self.rows.push(b',');
            push_quoted(&mut self.rows, metadata.as_bytes());
            writeln!(self.rows, ",{}", at.to_rfc3339())?;
            *self.counts.entry(event_type).or_default() += 1;
            if self.rows.len() >= BATCH_BYTES {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> crate::Result<()> {
        if !self.rows.is_empty() {
            let full = std::mem::replace(&mut self.rows, Vec::with_capacity(BATCH_BYTES));
            self.sender
                .blocking_send(full)
                .map_err(|_| "the event loader stopped")?;
        }
        Ok(())
    }

    /// Sends what is left; answers how many events of each type were written.
    pub fn finish(mut self) -> crate::Result<BTreeMap<String, u64>> {
        self.flush()?;
        Ok(self.counts)
    }
}

/// A CSV field in double quotes, its own double quotes doubled.
fn push_quoted(out: &mut Vec<u8>, field: &[u8]) {
    out.push(b'"');
    for &b in field {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}
