//! `playpod events export` on a real PostgreSQL: global order, resuming without skipping
//! late commits, filters, batches, and the NDJSON and CSV shapes.

mod common;

use chrono::{DateTime, Utc};
use clap::Parser;
use playpod::{
    analytics::{
        events::EventsError,
        export::{CSV_COLUMNS, ExportError, ExportOptions, Format, export},
        progress::Progress,
    },
    cli::{Cli, Command, EventsCommand},
};
use serde_json::{Value, json};
use sqlx::PgPool;

async fn store() -> PgPool {
    let url = common::fresh_database().await;
    let pool = playpod::db::connect(&url).await.unwrap();
    playpod::db::migrate(&pool).await.unwrap();
    pool
}

const INSERT: &str = "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
     values ($1, $2, $3, $4, '1.0', $5, $6)";

/// Appends one event of `aggregate` (`Probe` or `Other`) through `conn`; returns its position.
async fn append<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    aggregate: &str,
    id: &str,
    sequence: i64,
    event_type: &str,
) -> i64 {
    sqlx::query_scalar(&format!("{INSERT} returning position"))
        .bind(aggregate)
        .bind(id)
        .bind(sequence)
        .bind(event_type)
        .bind(json!({ event_type: { "n": sequence } }))
        .bind(json!({"actor": "analyst-test"}))
        .fetch_one(conn)
        .await
        .unwrap()
}

/// Waits until the event at `position` can be exported: until then a transaction older
/// than its own is still running, here or in another test's database of the cluster.
async fn exportable(pool: &PgPool, position: i64) {
    for _ in 0..3000 {
        let finished: bool = sqlx::query_scalar(
            "select tx_id < pg_snapshot_xmin(pg_current_snapshot()) from events where position = $1",
        )
        .bind(position)
        .fetch_one(pool)
        .await
        .unwrap();
        if finished {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("event {position} never became exportable");
}

async fn run(pool: &PgPool, options: &ExportOptions) -> String {
    let mut out = Vec::new();
    export(pool, options, &mut out, &mut Progress::hidden("test"))
        .await
        .unwrap();
    String::from_utf8(out).unwrap()
}

fn lines(ndjson: &str) -> Vec<Value> {
    ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn positions(ndjson: &str) -> Vec<i64> {
    lines(ndjson)
        .iter()
        .map(|l| l["position"].as_i64().unwrap())
        .collect()
}

fn after(position: i64) -> ExportOptions {
    ExportOptions {
        after: position,
        ..ExportOptions::default()
    }
}

#[tokio::test]
async fn export_follows_commit_order_and_resumes_after_any_event_without_skipping() {
    let pool = store().await;
    let first = append(&pool, "Probe", "a", 1, "Probed").await;
    exportable(&pool, first).await;

    // `late` takes its transaction id first but writes after `early`: its event has the
    // larger position yet comes first in the global order.
    let mut late = pool.begin().await.unwrap();
    sqlx::query("select pg_current_xact_id()")
        .execute(&mut *late)
        .await
        .unwrap();
    let early_position = append(&pool, "Probe", "b", 1, "Probed").await;
    let interrupted = run(&pool, &after(0)).await;
    assert_eq!(
        positions(&interrupted),
        vec![first],
        "nothing after a transaction still open"
    );
    let late_position = append(&mut *late, "Probe", "c", 1, "Probed").await;
    late.commit().await.unwrap();
    assert!(late_position > early_position);
    let mut last = 0;
    for n in 2..=5 {
        last = append(&pool, "Probe", "a", n, "Probed").await;
    }
    exportable(&pool, last).await;

    let all = positions(&run(&pool, &after(0)).await);
    assert_eq!(all.len(), 7);
    assert_eq!(&all[..3], &[first, late_position, early_position]);
    assert_eq!(
        positions(&run(&pool, &after(first)).await),
        all[1..],
        "resuming the interrupted export gives exactly the rest"
    );
    for (i, &p) in all.iter().enumerate() {
        assert_eq!(
            positions(&run(&pool, &after(p)).await),
            all[i + 1..],
            "after {p}"
        );
    }
}

#[tokio::test]
async fn a_large_store_is_exported_in_batches_in_order() {
    let pool = store().await;
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         select 'Probe', 'bulk', n, 'Probed', '1.0', '{}', '{}' from generate_series(1, 2500) n",
    )
    .execute(&pool)
    .await
    .unwrap();
    exportable(&pool, 2500).await;
    let exported = positions(&run(&pool, &after(0)).await);
    let stored: Vec<i64> =
        sqlx::query_scalar("select position from events order by tx_id, position")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(exported, stored);
    assert_eq!(exported.len(), 2500);
}

#[tokio::test]
async fn ndjson_lines_carry_every_column() {
    let pool = store().await;
    let only = append(&pool, "Probe", "a", 1, "Probed").await;
    exportable(&pool, only).await;
    let line = &lines(&run(&pool, &after(0)).await)[0];
    let mut keys: Vec<&str> = line
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    keys.sort_unstable();
    let mut expected = CSV_COLUMNS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(line["aggregate_type"], "Probe");
    assert_eq!(line["aggregate_id"], "a");
    assert_eq!(line["sequence"], 1);
    assert_eq!(line["event_type"], "Probed");
    assert_eq!(line["event_version"], "1.0");
    assert_eq!(line["actor"], "analyst-test");
    assert_eq!(line["request_id"], Value::Null);
    assert_eq!(line["payload"], json!({"Probed": {"n": 1}}));
    assert!(
        line["recorded_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .is_ok()
    );
}

#[tokio::test]
async fn filters_select_by_type_aggregate_and_time() {
    let pool = store().await;
    let mut last = 0;
    for n in 1..=4 {
        append(
            &pool,
            "Probe",
            "a",
            n,
            if n % 2 == 0 { "Even" } else { "Odd" },
        )
        .await;
        last = append(&pool, "Other", "x", n, "Odd").await;
    }
    exportable(&pool, last).await;
    let all = lines(&run(&pool, &after(0)).await);
    let pick = |keep: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        all.iter()
            .filter(|l| keep(l))
            .map(|l| l["position"].as_i64().unwrap())
            .collect()
    };

    let odd = ExportOptions {
        event_type: Some("Odd".into()),
        ..ExportOptions::default()
    };
    assert_eq!(
        positions(&run(&pool, &odd).await),
        pick(&|l| l["event_type"] == "Odd")
    );

    let other = ExportOptions {
        aggregate_type: Some("Other".into()),
        ..ExportOptions::default()
    };
    let others = positions(&run(&pool, &other).await);
    assert_eq!(others, pick(&|l| l["aggregate_type"] == "Other"));
    assert_eq!(others.len(), 4);

    let both = ExportOptions {
        event_type: Some("Odd".into()),
        aggregate_type: Some("Probe".into()),
        after: others[0],
        ..ExportOptions::default()
    };
    assert_eq!(
        positions(&run(&pool, &both).await),
        pick(&|l| l["event_type"] == "Odd"
            && l["aggregate_type"] == "Probe"
            && l["position"].as_i64().unwrap() > others[0])
    );

    let time = |l: &Value| {
        l["recorded_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    let since = time(&all[3]);
    let recent = ExportOptions {
        since: Some(since),
        ..ExportOptions::default()
    };
    let recent = positions(&run(&pool, &recent).await);
    assert_eq!(recent, pick(&|l| time(l) >= since));
    assert!(!recent.is_empty() && recent.len() < all.len());
}

#[tokio::test]
async fn csv_has_a_header_and_quotes_awkward_values() {
    let pool = store().await;
    let awkward = json!({"Noted": {"text": "a, \"quoted\"\nline"}});
    sqlx::query(INSERT)
        .bind("Probe")
        .bind("id, with comma")
        .bind(1_i64)
        .bind("Noted")
        .bind(&awkward)
        .bind(json!({"actor": "someone", "request_id": "req-1"}))
        .execute(&pool)
        .await
        .unwrap();
    let last = append(&pool, "Probe", "b", 1, "Probed").await;
    exportable(&pool, last).await;
    let options = ExportOptions {
        format: Format::Csv,
        ..ExportOptions::default()
    };
    let text = run(&pool, &options).await;
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().unwrap(), CSV_COLUMNS.to_vec());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][3], "id, with comma");
    assert_eq!(&rows[0][5], "Noted");
    assert_eq!(&rows[0][7], "someone");
    assert_eq!(&rows[0][8], "req-1");
    assert_eq!(serde_json::from_str::<Value>(&rows[0][9]).unwrap(), awkward);
    assert_eq!(&rows[1][8], "", "a missing request id is an empty field");
    let ndjson = lines(&run(&pool, &after(0)).await);
    assert_eq!(
        rows[0][1], ndjson[0]["recorded_at"],
        "both formats write the same time"
    );
}

#[tokio::test]
async fn resuming_after_an_unknown_position_is_refused() {
    let pool = store().await;
    append(&pool, "Probe", "a", 1, "Probed").await;
    let err = export(&pool, &after(999), Vec::new(), &mut Progress::hidden("t"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ExportError::Events(EventsError::UnknownPosition(999))),
        "{err}"
    );
}

/// A reader that went away, like `head` after its lines.
struct ClosedPipe;

impl std::io::Write for ClosedPipe {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::ErrorKind::BrokenPipe.into())
    }
}

#[tokio::test]
async fn a_closed_pipe_ends_the_export_quietly() {
    let pool = store().await;
    let only = append(&pool, "Probe", "a", 1, "Probed").await;
    exportable(&pool, only).await;
    for format in [Format::Ndjson, Format::Csv] {
        let options = ExportOptions {
            format,
            ..ExportOptions::default()
        };
        export(&pool, &options, ClosedPipe, &mut Progress::hidden("t"))
            .await
            .unwrap();
    }
}

#[test]
fn the_command_line_takes_every_export_option() {
    let cli = Cli::try_parse_from([
        "playpod",
        "events",
        "export",
        "--after",
        "42",
        "--since",
        "2026-11-26T10:00:00Z",
        "--type",
        "TrackPlayed",
        "--aggregate",
        "Queue",
        "--format",
        "csv",
    ])
    .unwrap();
    let Some(Command::Events {
        command: EventsCommand::Export(options),
    }) = cli.command
    else {
        panic!("not an export");
    };
    assert_eq!(options.after, 42);
    assert_eq!(options.since, Some("2026-11-26T10:00:00Z".parse().unwrap()));
    assert_eq!(options.event_type.as_deref(), Some("TrackPlayed"));
    assert_eq!(options.aggregate_type.as_deref(), Some("Queue"));
    assert_eq!(options.format, Format::Csv);

    let Some(Command::Events {
        command: EventsCommand::Export(defaults),
    }) = Cli::try_parse_from(["playpod", "events", "export"])
        .unwrap()
        .command
    else {
        panic!("not an export");
    };
    assert_eq!((defaults.after, defaults.format), (0, Format::Ndjson));
    assert!(Cli::try_parse_from(["playpod", "events", "export", "--format", "xml"]).is_err());
}
