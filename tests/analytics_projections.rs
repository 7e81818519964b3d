//! `playpod projections rebuild|verify` on a real PostgreSQL: verification compares live
//! read models with a rebuild without touching them, and a rebuild repairs them.

mod common;

use common::TestApp;
use domain::{CatalogId, TrackSnapshot, queue::QueueCommand};
use playpod::analytics::maintenance::{self, MaintenanceError};
use projections::verify::Verification;

fn track(id: u64) -> TrackSnapshot {
    TrackSnapshot {
        track_id: CatalogId::new(id).unwrap(),
        title: format!("Track {id}"),
        artist_id: CatalogId::new(27).unwrap(),
        artist_name: "Daft Punk".into(),
        album_id: CatalogId::new(302127).ok(),
        album_title: "Discovery".into(),
        album_cover: String::new(),
        duration: 212,
    }
}

/// Two listeners, each with a queue and a few plays.
async fn listen(app: &TestApp) {
    for listener in 0..2u64 {
        let user = uuid::Uuid::new_v4();
        let id = user.to_string();
        for n in 1..=4 {
            let track = track(listener * 100 + n);
            app.state
                .queue
                .execute(
                    &id,
                    QueueCommand::Enqueue {
                        entry_id: uuid::Uuid::now_v7(),
                        track,
                    },
                    user,
                )
                .await
                .unwrap();
        }
        for _ in 0..3 {
            let radio = vec![track(9_000 + listener)];
            app.state
                .queue
                .execute(&id, QueueCommand::Next { radio }, user)
                .await
                .unwrap();
        }
    }
}

async fn verify(app: &TestApp) -> (Vec<Verification>, String) {
    let mut out = Vec::new();
    let results = maintenance::verify_all(&app.state.projections, &app.state.pool, &mut out)
        .await
        .unwrap();
    (results, String::from_utf8(out).unwrap())
}

fn verdict<'a>(results: &'a [Verification], name: &str) -> &'a Verification {
    results.iter().find(|v| v.projection == name).unwrap()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn live_read_models_verify_with_stable_checksums_and_nothing_left_behind() {
    let app = common::spawn_app().await;
    listen(&app).await;
    let (first, report) = verify(&app).await;
    assert_eq!(first.len(), playpod::read_models::all().len());
    for v in &first {
        assert!(v.matches(), "{report}");
        if ["queue", "listening_history"].contains(&v.projection) {
            assert!(v.events > 0, "{} replayed the plays", v.projection);
        }
        assert!(v.tables.iter().all(|t| t.matches()));
        assert!(
            report.contains(&format!("{} {} OK", v.live, v.rebuilt)),
            "{report}"
        );
    }
    assert!(!report.contains("DIFFERS"));

    // Rewriting every row changes its physical place, never the checksum.
    sqlx::query("update queue_entries set title = title")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let (second, _) = verify(&app).await;
    assert_eq!(second, first, "identical inputs give identical checksums");

    assert_eq!(
        count(
            &app,
            "select count(*) from pg_namespace where nspname like 'verify%'"
        )
        .await,
        0,
        "the scratch schema is gone"
    );
    assert_eq!(
        count(&app, "select count(*) from playback_history").await,
        6,
        "one row per play"
    );
}

#[tokio::test]
async fn verify_detects_a_tampered_row_in_the_table_it_belongs_to() {
    let app = common::spawn_app().await;
    listen(&app).await;
    let (before, _) = verify(&app).await;
    sqlx::query(
        "update queue_entries set title = 'tampered'
          where entry_id = (select entry_id from queue_entries order by entry_id limit 1)",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();

    let (after, report) = verify(&app).await;
    let queue = verdict(&after, "queue");
    assert!(!queue.matches());
    assert_eq!(
        queue.rebuilt,
        verdict(&before, "queue").rebuilt,
        "the rebuild is unaffected"
    );
    let differing: Vec<_> = queue.tables.iter().filter(|t| !t.matches()).collect();
    assert_eq!(differing.len(), 1);
    assert_eq!(differing[0].table, "queue_entries");
    assert!(verdict(&after, "listening_history").matches());
    assert!(report.contains("DIFFERS") && report.contains("table queue_entries"));
    assert!(
        count(
            &app,
            "select count(*) from queue_entries where title = 'tampered'"
        )
        .await
            == 1,
        "verification changes nothing"
    );
}

#[tokio::test]
async fn rebuild_restores_a_deleted_row() {
    let app = common::spawn_app().await;
    listen(&app).await;
    let plays = count(&app, "select count(*) from playback_history").await;
    sqlx::query(
        "delete from playback_history
          where play_id = (select play_id from playback_history order by play_id limit 1)",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    assert!(!verdict(&verify(&app).await.0, "listening_history").matches());

    let mut out = Vec::new();
    let rebuilt = maintenance::rebuild(
        &app.state.projections,
        &app.state.pool,
        Some("listening_history"),
        &mut out,
    )
    .await
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert_eq!(rebuilt.len(), 1);
    assert_eq!(rebuilt[0].0, "listening_history");
    assert!(
        out.starts_with(&format!(
            "listening_history: rebuilt from {} events in ",
            rebuilt[0].1
        )) && out.contains("events/s"),
        "{out}"
    );
    assert_eq!(
        count(&app, "select count(*) from playback_history").await,
        plays
    );
    assert!(verify(&app).await.0.iter().all(Verification::matches));
}

#[tokio::test]
async fn rebuild_without_a_name_rebuilds_every_read_model() {
    let app = common::spawn_app().await;
    listen(&app).await;
    let entries = count(&app, "select count(*) from queue_entries").await;
    sqlx::query("delete from queue_entries")
        .execute(&app.state.pool)
        .await
        .unwrap();
    let mut out = Vec::new();
    let rebuilt = maintenance::rebuild(&app.state.projections, &app.state.pool, None, &mut out)
        .await
        .unwrap();
    let names: Vec<_> = rebuilt.iter().map(|(name, _)| *name).collect();
    let every: Vec<_> = playpod::read_models::all()
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(names, every);
    assert_eq!(String::from_utf8(out).unwrap().lines().count(), every.len());
    assert_eq!(
        count(&app, "select count(*) from queue_entries").await,
        entries
    );
    assert!(verify(&app).await.0.iter().all(Verification::matches));
}

/// Each read model is rebuilt in a transaction of its own: one that fails keeps its rows as
/// they were (here, missing one), while the others come out whole either way.
#[tokio::test]
async fn a_read_model_whose_rebuild_fails_keeps_its_rows() {
    let app = common::spawn_app().await;
    listen(&app).await;
    let tables = ["queue_entries", "playback_history", "taste_artists"];
    let mut before = Vec::new();
    for table in tables {
        before.push(count(&app, &format!("select count(*) from {table}")).await);
    }
    sqlx::query(
        "delete from queue_entries
          where (user_id, entry_id) = (select user_id, entry_id from queue_entries limit 1)",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    // An event the queue read model cannot read, after every good one.
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version,
                             payload, metadata)
         values ('Queue', $1, 1, 'Unheard', '1.0', '{\"Unheard\": {}}', '{}')",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .execute(&app.state.pool)
    .await
    .unwrap();

    let err = maintenance::rebuild(
        &app.state.projections,
        &app.state.pool,
        None,
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("cannot be decoded"), "{err}");
    let after = [before[0] - 1, before[1], before[2]];
    for (table, rows) in tables.into_iter().zip(after) {
        assert_eq!(
            count(&app, &format!("select count(*) from {table}")).await,
            rows,
            "{table}"
        );
    }
}

/// On one connection, the projection's cached statements must write to the scratch tables
/// during a verification and to the live ones again after it.
#[tokio::test]
async fn verify_and_rebuild_take_turns_on_one_connection() {
    let app = common::spawn_app().await;
    listen(&app).await;
    let entries = count(&app, "select count(*) from queue_entries").await;
    let options = app.state.pool.connect_options();
    let single = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*options).clone())
        .await
        .unwrap();
    let engine = projections::ProjectionEngine::new(single.clone(), playpod::read_models::all())
        .await
        .unwrap();
    for _ in 0..2 {
        maintenance::rebuild(&engine, &single, Some("queue"), &mut Vec::new())
            .await
            .unwrap();
        assert_eq!(
            count(&app, "select count(*) from queue_entries").await,
            entries
        );
        let mut out = Vec::new();
        let results = maintenance::verify_all(&engine, &single, &mut out)
            .await
            .unwrap();
        assert!(
            results.iter().all(Verification::matches),
            "{}",
            String::from_utf8(out).unwrap()
        );
    }
}

#[tokio::test]
async fn an_unknown_projection_is_named_with_the_known_ones() {
    let app = common::spawn_app().await;
    let err = maintenance::rebuild(
        &app.state.projections,
        &app.state.pool,
        Some("nope"),
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, MaintenanceError::UnknownProjection { .. }));
    let every: Vec<_> = playpod::read_models::all()
        .iter()
        .map(|p| p.name())
        .collect();
    assert_eq!(
        err.to_string(),
        format!(
            "no projection is named \"nope\"; projections: {}",
            every.join(", ")
        )
    );
}
