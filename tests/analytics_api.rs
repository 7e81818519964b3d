//! `GET /api/events/`: only analysts read the event store, page by page with cursors that
//! cover every event exactly once.

mod common;

use common::{TestApp, User, expect_error};
use domain::{CatalogId, TrackSnapshot, queue::QueueCommand};
use reqwest::StatusCode;
use serde_json::Value;

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

/// Queue events for `user`: enqueues, then plays.
async fn listen(app: &TestApp, user: &User) {
    let uuid: uuid::Uuid = user.id.parse().unwrap();
    for n in 1..=3 {
        let track = track(n);
        app.state
            .queue
            .execute(
                &user.id,
                QueueCommand::Enqueue {
                    entry_id: uuid::Uuid::now_v7(),
                    track,
                },
                uuid,
            )
            .await
            .unwrap();
    }
    for _ in 0..2 {
        let radio = vec![track(500)];
        app.state
            .queue
            .execute(&user.id, QueueCommand::Next { radio }, uuid)
            .await
            .unwrap();
    }
}

async fn analyst(app: &TestApp, name: &str) -> User {
    let user = app.user(name).await;
    assert!(
        playpod::accounts::set_role(&app.state.pool, &user.email, "analyst", true)
            .await
            .unwrap()
    );
    user
}

async fn page(app: &TestApp, user: &User, query: &str) -> Value {
    let resp = app
        .get(&format!("/api/events/{query}"), Some(&user.access))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    resp.json().await.unwrap()
}

fn positions(page: &Value) -> Vec<i64> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect()
}

async fn stored_order(app: &TestApp) -> Vec<i64> {
    sqlx::query_scalar("select position from events order by tx_id, position")
        .fetch_all(&app.state.pool)
        .await
        .unwrap()
}

/// Waits until the event at `position` is served: until then a transaction older than its
/// own is still running, here or in another test's database of the cluster.
async fn served_through(app: &TestApp, position: i64) {
    for _ in 0..3000 {
        let finished: bool = sqlx::query_scalar(
            "select tx_id < pg_snapshot_xmin(pg_current_snapshot()) from events where position = $1",
        )
        .bind(position)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
        if finished {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("event {position} was never served");
}

#[tokio::test]
async fn only_analysts_read_events() {
    let app = common::spawn_app().await;
    expect_error(app.get("/api/events/", None).await, 401).await;
    let user = app.user("listener").await;
    let body = expect_error(app.get("/api/events/", Some(&user.access)).await, 403).await;
    assert_eq!(body["error"], "forbidden");

    // The same token works once the role is granted: the server is told of the change.
    playpod::accounts::set_role(&app.state.pool, &user.email, "analyst", true)
        .await
        .unwrap();
    app.eventually_answers("/api/events/", &user.access, 200)
        .await;
    listen(&app, &user).await;
    let body = page(&app, &user, "").await;
    let events = body["events"].as_array().unwrap();
    assert_eq!(positions(&body), stored_order(&app).await);
    let first = &events[0];
    assert_eq!(first["aggregate_type"], "Queue");
    assert_eq!(first["aggregate_id"], user.id.as_str());
    assert_eq!(first["sequence"], 1);
    assert_eq!(first["event_type"], "TrackEnqueued");
    assert_eq!(first["event_version"], "1.0");
    assert_eq!(first["actor"], user.id.as_str());
    assert!(first["payload"]["TrackEnqueued"].is_object());
    assert!(first["recorded_at"].is_string());
    assert_eq!(
        body["next_after"],
        events.last().unwrap()["position"],
        "the cursor is the last position"
    );
}

#[tokio::test]
async fn cursors_cover_every_event_exactly_once() {
    let app = common::spawn_app().await;
    let reader = analyst(&app, "analyst").await;
    for name in ["ann", "bob"] {
        let listener = app.user(name).await;
        listen(&app, &listener).await;
    }
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let body = page(&app, &reader, &format!("?after={after}&limit=3")).await;
        let got = positions(&body);
        assert!(got.len() <= 3);
        if got.is_empty() {
            assert_eq!(body["next_after"], after, "an empty page keeps the cursor");
            break;
        }
        seen.extend(got);
        after = body["next_after"].as_i64().unwrap();
    }
    assert_eq!(seen, stored_order(&app).await);
    assert!(seen.len() > 6, "several pages");
}

#[tokio::test]
async fn the_type_filter_keeps_only_that_type() {
    let app = common::spawn_app().await;
    let reader = analyst(&app, "analyst").await;
    listen(&app, &reader).await;
    let body = page(&app, &reader, "?type=TrackPlayed&limit=1000").await;
    let events = body["events"].as_array().unwrap();
    assert!(!events.is_empty());
    assert!(events.iter().all(|e| e["event_type"] == "TrackPlayed"));
    let played: i64 =
        sqlx::query_scalar("select count(*) from events where event_type = 'TrackPlayed'")
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(events.len() as i64, played);
    assert_eq!(
        positions(&page(&app, &reader, "?type=Unknown").await),
        Vec::<i64>::new()
    );
}

#[tokio::test]
async fn bad_parameters_answer_400_json() {
    let app = common::spawn_app().await;
    let reader = analyst(&app, "analyst").await;
    listen(&app, &reader).await;
    for query in [
        "?limit=0",
        "?limit=1001",
        "?limit=ten",
        "?after=-1",
        "?after=x",
    ] {
        let resp = app
            .get(&format!("/api/events/{query}"), Some(&reader.access))
            .await;
        expect_error(resp, 400).await;
    }
    let resp = app
        .get("/api/events/?after=999999", Some(&reader.access))
        .await;
    let body = expect_error(resp, 400).await;
    assert_eq!(body["field"], "after");
    assert_eq!(body["message"], "no event has position 999999 yet");
}

#[tokio::test]
async fn a_page_holds_100_events_unless_told_otherwise() {
    let app = common::spawn_app().await;
    let reader = analyst(&app, "analyst").await;
    sqlx::query(
        "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
         select 'Probe', 'bulk', n, 'Probed', '1.0', '{}', '{}' from generate_series(1, 150) n",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    served_through(&app, 150).await;
    let order = stored_order(&app).await;
    let body = page(&app, &reader, "").await;
    assert_eq!(positions(&body), order[..100]);
    assert_eq!(body["next_after"], order[99]);
    let rest = page(&app, &reader, &format!("?after={}&limit=1000", order[99])).await;
    assert_eq!(positions(&rest), order[100..]);
}

#[tokio::test]
async fn a_type_filter_postgresql_cannot_store_is_the_callers_error() {
    let app = common::spawn_app().await;
    let user = analyst(&app, "nul-filter").await;
    let resp = app
        .get("/api/events/?type=Track%00Played", Some(&user.access))
        .await;
    let body = expect_error(resp, 400).await;
    assert_eq!(body["error"], "bad_request");
}
