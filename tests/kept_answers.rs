//! Each instance keeps its rendered answers of the heaviest reads (queue tracks, plays,
//! playlists and their lists) with the read model's version. A kept answer must never
//! outlive a change, whichever instance made it, and must survive a rebuild of the read
//! models unchanged.

mod common;

use common::{TestApp, User, spawn_app};
use projections::queue;
use serde_json::{Value, json};
use uuid::Uuid;

async fn read(app: &TestApp, user: &User, path: &str) -> Value {
    let resp = app.get(path, Some(&user.access)).await;
    assert_eq!(resp.status(), 200, "GET {path}");
    resp.json().await.unwrap()
}

async fn ok(app: &TestApp, user: &User, path: &str, body: Value) {
    let resp = app.post(path, Some(&user.access), &body).await;
    assert!(resp.status().is_success(), "POST {path}: {}", resp.status());
}

fn field<'a>(items: &'a Value, name: &str) -> Vec<&'a str> {
    items
        .as_array()
        .expect("an array")
        .iter()
        .map(|item| item[name].as_str().expect("a string field"))
        .collect()
}

const QUEUE: &str = "/api/playlists/queue/tracks/";
const HISTORY: &str = "/api/playlists/queue/history/?limit=10";
const LIST: &str = "/api/playlists/playlists/?limit=20";

#[tokio::test]
async fn one_instance_shows_every_change_made_through_another() {
    let app = spawn_app().await;
    let other = app.second_instance().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let tracks = app.track_ids(&alice.access, 3).await;

    // Each answer is read twice first, so the second comes from what was kept.
    for _ in 0..2 {
        assert_eq!(read(&app, &alice, QUEUE).await, json!([]));
        assert_eq!(read(&app, &alice, HISTORY).await["count"], 0);
        assert_eq!(read(&app, &bob, LIST).await, json!([]));
    }
    ok(
        &other,
        &alice,
        "/api/playlists/queue/enqueue/",
        json!({"track_id": tracks[0]}),
    )
    .await;
    assert_eq!(
        field(&read(&app, &alice, QUEUE).await, "track_id"),
        [&tracks[0]]
    );
    ok(&other, &alice, "/api/playlists/queue/next/", json!({})).await;
    let plays = read(&app, &alice, HISTORY).await;
    assert_eq!(plays["count"], 1);
    assert_eq!(field(&plays["history"], "track_id"), [&tracks[0]]);
    ok(&other, &alice, "/api/playlists/queue/clear/", json!({})).await;
    assert_eq!(read(&app, &alice, QUEUE).await, json!([]));

    let playlist = other.playlist(&alice.access, "Road trip", true).await;
    let detail = format!("/api/playlists/playlists/{playlist}/");
    assert_eq!(field(&read(&app, &bob, LIST).await, "name"), ["Road trip"]);
    for _ in 0..2 {
        assert_eq!(read(&app, &bob, &detail).await["tracks"], json!([]));
    }
    let add = format!("/api/playlists/playlists/{playlist}/add_track/");
    ok(&other, &alice, &add, json!({"track_id": tracks[1]})).await;
    let shown = read(&app, &bob, &detail).await;
    assert_eq!(field(&shown["tracks"], "track_id"), [&tracks[1]]);
    assert_eq!(field(&read(&app, &bob, LIST).await, "name"), ["Road trip"]);
    assert_eq!(read(&app, &bob, LIST).await[0]["track_count"], 1);

    let resp = other
        .patch(&detail, Some(&alice.access), &json!({"is_public": false}))
        .await;
    assert!(
        resp.status().is_success(),
        "make it private: {}",
        resp.status()
    );
    assert_eq!(read(&app, &bob, LIST).await, json!([]));
    let hidden = app.get(&detail, Some(&bob.access)).await;
    assert_eq!(
        hidden.status(),
        404,
        "a private playlist kept as public is not shown"
    );
}

#[tokio::test]
async fn a_rebuild_gives_the_same_answers_and_versions() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let tracks = app.track_ids(&alice.access, 3).await;
    for track in &tracks {
        ok(
            &app,
            &alice,
            "/api/playlists/queue/enqueue/",
            json!({"track_id": track}),
        )
        .await;
    }
    ok(&app, &alice, "/api/playlists/queue/next/", json!({})).await;
    let playlist = app.playlist(&alice.access, "Mix", true).await;
    let add = format!("/api/playlists/playlists/{playlist}/add_track/");
    ok(&app, &alice, &add, json!({"track_id": tracks[2]})).await;
    let paths = [
        QUEUE.to_owned(),
        HISTORY.to_owned(),
        LIST.to_owned(),
        format!("/api/playlists/playlists/{playlist}/"),
    ];
    let mut before = Vec::new();
    for path in &paths {
        before.push(read(&app, &alice, path).await);
    }
    let user = Uuid::parse_str(&alice.id).unwrap();
    let version = queue::queue_entries_versioned(&app.state.pool, user, None)
        .await
        .unwrap()
        .version;

    for projection in playpod::read_models::all() {
        app.state
            .projections
            .rebuild(projection.as_ref())
            .await
            .unwrap();
    }
    let again = queue::queue_entries_versioned(&app.state.pool, user, Some(version))
        .await
        .unwrap();
    assert_eq!(
        again.version, version,
        "the same events give the same version"
    );
    assert!(again.rows.is_empty(), "rows the reader has are left out");
    for (path, before) in paths.iter().zip(before) {
        assert_eq!(read(&app, &alice, path).await, before, "GET {path}");
    }
}
