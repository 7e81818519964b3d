//! `playpod events export`: every matching event in global order, as NDJSON or CSV, one
//! batch in memory at a time. Each line carries its `position`; `--after` that position
//! resumes exactly where an interrupted export stopped.

use std::io::{self, BufWriter, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgPool;

use super::{
    events::{self, Cursor, EventFilter, EventRecord, EventsError},
    progress::Progress,
};

/// Events read per query: memory stays bounded whatever the size of the store.
const BATCH: i64 = 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    #[default]
    Ndjson,
    /// A header line, then one row per event; `payload` holds the JSON text.
    Csv,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ExportOptions {
    /// Resume after the event with this position, as printed by an earlier export
    /// (0: from the beginning).
    #[arg(long, value_name = "POSITION", default_value_t = 0)]
    pub after: i64,
    /// Only events recorded at or after this time (RFC 3339, e.g. 2026-11-26T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<DateTime<Utc>>,
    /// Only events of this type, e.g. TrackPlayed.
    #[arg(long = "type", value_name = "EVENT_TYPE")]
    pub event_type: Option<String>,
    /// Only events of this aggregate type, e.g. Queue.
    #[arg(long = "aggregate", value_name = "TYPE")]
    pub aggregate_type: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

impl ExportOptions {
    fn filter(&self) -> EventFilter {
        EventFilter {
            since: self.since,
            event_type: self.event_type.clone(),
            aggregate_type: self.aggregate_type.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Events(#[from] EventsError),
    #[error("cannot write the export: {0}")]
    Io(#[from] io::Error),
}

impl From<sqlx::Error> for ExportError {
    fn from(err: sqlx::Error) -> Self {
        Self::Events(err.into())
    }
}

pub const CSV_COLUMNS: [&str; 10] = [
    "position",
    "recorded_at",
    "aggregate_type",
    "aggregate_id",
    "sequence",
    "event_type",
    "event_version",
    "actor",
    "request_id",
    "payload",
];

/// Writes the matching events to `out` and returns how many were written.
///
/// A reader that stops early (`| head`) closes the pipe: that ends the export quietly.
pub async fn export(
    pool: &PgPool,
    options: &ExportOptions,
    out: impl Write,
    progress: &mut Progress,
) -> Result<u64, ExportError> {
    match write_all(pool, options, out, progress).await {
        Err(ExportError::Io(err)) if err.kind() == io::ErrorKind::BrokenPipe => {
            progress.finish();
            Ok(progress.done())
        }
        other => other,
    }
}

async fn write_all(
    pool: &PgPool,
    options: &ExportOptions,
    out: impl Write,
    progress: &mut Progress,
) -> Result<u64, ExportError> {
    let filter = options.filter();
    let mut cursor = Cursor::after(pool, options.after).await?;
    if progress.is_visible() {
        progress.set_total(events::count(pool, &filter, &cursor).await?);
    }
    let mut sink = Sink::new(options.format, out)?;
    loop {
        let batch = events::page(pool, &filter, &cursor, BATCH).await?;
        let Some(last) = batch.last() else { break };
        cursor = last.cursor();
        for event in &batch {
            sink.write(event)?;
        }
        sink.flush()?;
        progress.advance(batch.len() as u64);
    }
    progress.finish();
    Ok(progress.done())
}

enum Sink<W: Write> {
    Ndjson(BufWriter<W>),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    fn new(format: Format, out: W) -> io::Result<Self> {
        Ok(match format {
            Format::Ndjson => Self::Ndjson(BufWriter::new(out)),
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_record(CSV_COLUMNS)?;
                Self::Csv(Box::new(csv))
            }
        })
    }

    fn write(&mut self, event: &EventRecord) -> io::Result<()> {
        match self {
            Self::Ndjson(out) => {
                serde_json::to_writer(&mut *out, event)?;
                out.write_all(b"\n")
            }
            Self::Csv(csv) => Ok(csv.write_record(csv_row(event))?),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Ndjson(out) => out.flush(),
            Self::Csv(csv) => csv.flush(),
        }
    }
}

fn csv_row(event: &EventRecord) -> [String; 10] {
    [
        event.position.to_string(),
        // The same text as chrono's serde form, used by the NDJSON lines.
        event
            .recorded_at
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        event.aggregate_type.clone(),
        event.aggregate_id.clone(),
        event.sequence.to_string(),
        event.event_type.clone(),
        event.event_version.clone(),
        event.actor.clone().unwrap_or_default(),
        event.request_id.clone().unwrap_or_default(),
        event.payload.to_string(),
    ]
}
