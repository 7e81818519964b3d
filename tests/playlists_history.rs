//! Audit and time travel: a playlist's history, the playlist as it was, restoring an old
//! version, and read models rebuilt from the events alone.

mod common;

use common::{TestApp, User, expect_error, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn path(id: &str, rest: &str) -> String {
    format!("/api/playlists/playlists/{id}/{rest}")
}

async fn ok_json(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.expect("JSON body");
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn track_ids_of(playlist: &Value) -> Vec<String> {
    playlist["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["track_id"].as_str().unwrap().to_owned())
        .collect()
}

/// A private playlist of `owner` that went through every kind of change; returns its id
/// and the track ids used.
async fn eventful_playlist(app: &TestApp, owner: &User) -> (String, Vec<String>) {
    let token = Some(owner.access.as_str());
    let ids = app.track_ids(&owner.access, 3).await;
    let id = app.playlist(&owner.access, "Before", false).await; // v1
    for track in &ids[..2] {
        let body = json!({"track_id": track});
        ok_json(app.post(&path(&id, "add_track/"), token, &body).await).await; // v2, v3
    }
    let rename = json!({"name": "After", "description": "changed"});
    ok_json(app.patch(&path(&id, ""), token, &rename).await).await; // v4
    let move_it = json!({"track_id": ids[1], "position": 0});
    ok_json(app.post(&path(&id, "move_track/"), token, &move_it).await).await; // v5
    let remove = path(&id, &format!("remove_track/?track_id={}", ids[0]));
    ok_json(app.delete(&remove, token).await).await; // v6
    let body = json!({"track_id": ids[2]});
    ok_json(app.post(&path(&id, "add_track/"), token, &body).await).await; // v7
    (id, ids)
}

#[tokio::test]
async fn the_owner_reads_every_event_in_order_with_actor_time_and_change() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let (id, ids) = eventful_playlist(&app, &ada).await;

    let resp = app.get(&path(&id, "history/"), Some(&ada.access)).await;
    assert_eq!(resp.headers()["x-total-count"], "7");
    let history = ok_json(resp).await;
    let events = history.as_array().unwrap();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "PlaylistCreated",
            "TrackAdded",
            "TrackAdded",
            "DetailsUpdated",
            "TrackMoved",
            "TrackRemoved",
            "TrackAdded"
        ]
    );
    let versions: Vec<u64> = events
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, (1..=7).collect::<Vec<u64>>());
    let times: Vec<&str> = events
        .iter()
        .map(|e| e["recorded_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    for event in events {
        assert_eq!(event["actor"], ada.id.as_str());
        assert_eq!(event["event_version"], "1.0");
        assert!(event["request_id"].is_string());
    }
    assert_eq!(events[0]["change"]["name"], "Before");
    assert_eq!(events[0]["change"]["owner"], ada.id.as_str());
    let added = &events[1]["change"];
    assert_eq!(added["track"]["track_id"].to_string(), ids[0]);
    assert!(added["track"]["title"].is_string());
    assert!(added["track"]["artist_name"].is_string());
    assert_eq!(added["position"], 0);
    assert_eq!(
        events[3]["change"],
        json!({"by": ada.id, "name": "After", "description": "changed"})
    );
    assert_eq!(events[4]["change"]["from"], 1);
    assert_eq!(events[4]["change"]["to"], 0);

    let page = ok_json(
        app.get(&path(&id, "history/?limit=2&offset=5"), Some(&ada.access))
            .await,
    )
    .await;
    let versions: Vec<u64> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [6, 7]);
}

#[tokio::test]
async fn auditors_read_any_history_others_get_403_or_404() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let eve = app.user("eve").await;
    let (private, _) = eventful_playlist(&app, &ada).await;
    let public = app.playlist(&ada.access, "Open", true).await;
    let deleted = app.playlist(&ada.access, "Gone", true).await;
    assert_eq!(
        app.delete(&path(&deleted, ""), Some(&ada.access))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    let eve_token = Some(eve.access.as_str());
    expect_error(app.get(&path(&private, "history/"), eve_token).await, 404).await;
    expect_error(app.get(&path(&public, "history/"), eve_token).await, 403).await;
    expect_error(app.get(&path(&deleted, "history/"), eve_token).await, 404).await;
    expect_error(app.get(&path(&private, "?version=1"), eve_token).await, 404).await;
    expect_error(app.get(&path(&public, "?version=1"), eve_token).await, 403).await;
    let never = "0195c0de-0000-7000-8000-000000000000";
    expect_error(
        app.get(&path(never, "history/"), Some(&ada.access)).await,
        404,
    )
    .await;

    app.grant_role(&eve.email, "auditor").await;
    app.eventually_answers(&path(&private, "history/"), &eve.access, 200)
        .await;
    let history = ok_json(app.get(&path(&private, "history/"), eve_token).await).await;
    assert_eq!(history.as_array().unwrap().len(), 7);
    let gone = ok_json(app.get(&path(&deleted, "history/"), eve_token).await).await;
    let types: Vec<&str> = gone
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["PlaylistCreated", "PlaylistDeleted"]);
    let before_deletion = ok_json(app.get(&path(&deleted, "?version=1"), eve_token).await).await;
    assert_eq!(before_deletion["name"], "Gone");
    expect_error(app.get(&path(&deleted, "?version=2"), eve_token).await, 404).await;
    // Auditing is reading: the auditor still cannot change someone else's playlist.
    expect_error(app.get(&path(&private, ""), eve_token).await, 404).await;
    let restore = json!({"version": 1});
    expect_error(
        app.post(&path(&public, "restore/"), eve_token, &restore)
            .await,
        403,
    )
    .await;
    expect_error(
        app.post(&path(&private, "restore/"), eve_token, &restore)
            .await,
        404,
    )
    .await;
    // The owner keeps reading the history of a playlist they deleted.
    let own = ok_json(
        app.get(&path(&deleted, "history/"), Some(&ada.access))
            .await,
    )
    .await;
    assert_eq!(own.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_playlist_is_shown_as_it_was_at_a_version_or_a_time() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let (id, ids) = eventful_playlist(&app, &ada).await;
    let token = Some(ada.access.as_str());

    let resp = app.get(&path(&id, "?version=3"), token).await;
    assert_eq!(resp.headers()["etag"], "\"3\"");
    let v3 = ok_json(resp).await;
    assert_eq!(v3["name"], "Before");
    assert_eq!(v3["description"], "");
    assert_eq!(track_ids_of(&v3), [ids[0].clone(), ids[1].clone()]);
    assert_eq!(v3["track_count"], 2);
    assert_eq!(v3["tracks"][1]["position"], 1);

    let v5 = ok_json(app.get(&path(&id, "?version=5"), token).await).await;
    assert_eq!(v5["name"], "After");
    assert_eq!(track_ids_of(&v5), [ids[1].clone(), ids[0].clone()]);

    // The latest version rebuilt from events is exactly what the read model shows.
    let now = ok_json(app.get(&path(&id, ""), token).await).await;
    let v7 = ok_json(app.get(&path(&id, "?version=7"), token).await).await;
    assert_eq!(v7, now);

    let history = ok_json(app.get(&path(&id, "history/"), token).await).await;
    let at_v3 = history[2]["recorded_at"].as_str().unwrap();
    let at_v4 = history[3]["recorded_at"].as_str().unwrap();
    assert!(
        at_v3 < at_v4,
        "sequential requests are recorded at distinct times"
    );
    let as_of = ok_json(
        app.get(&path(&id, &format!("?as_of={}", urlencode(at_v3))), token)
            .await,
    )
    .await;
    assert_eq!(as_of, v3);
    assert_eq!(as_of["updated_at"], at_v3);
    let future = ok_json(
        app.get(&path(&id, "?as_of=2999-01-01T00:00:00Z"), token)
            .await,
    )
    .await;
    assert_eq!(future, now);

    expect_error(
        app.get(&path(&id, "?as_of=2000-01-01T00:00:00Z"), token)
            .await,
        404,
    )
    .await;
    let err = expect_error(app.get(&path(&id, "?version=8"), token).await, 400).await;
    assert_eq!(err["field"], "version");
    expect_error(app.get(&path(&id, "?version=0"), token).await, 400).await;
    expect_error(app.get(&path(&id, "?as_of=yesterday"), token).await, 400).await;
    expect_error(
        app.get(&path(&id, "?version=2&as_of=2999-01-01T00:00:00Z"), token)
            .await,
        400,
    )
    .await;
}

fn urlencode(raw: &str) -> String {
    raw.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn restoring_appends_compensating_events_and_keeps_the_history() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let (id, _) = eventful_playlist(&app, &ada).await;
    let token = Some(ada.access.as_str());
    let v3 = ok_json(app.get(&path(&id, "?version=3"), token).await).await;

    let resp = app
        .post(&path(&id, "restore/"), token, &json!({"version": 3}))
        .await;
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    let restored = ok_json(resp).await;
    for field in [
        "name",
        "description",
        "is_public",
        "track_count",
        "cover_image",
    ] {
        assert_eq!(restored[field], v3[field], "{field}");
    }
    assert_eq!(track_ids_of(&restored), track_ids_of(&v3));
    let entry_ids = |p: &Value| -> Vec<Value> {
        p["tracks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].clone())
            .collect()
    };
    assert_eq!(
        entry_ids(&restored),
        entry_ids(&v3),
        "restored entries keep their ids"
    );

    let history = ok_json(app.get(&path(&id, "history/"), token).await).await;
    let events = history.as_array().unwrap();
    assert_eq!(etag, format!("\"{}\"", events.len()));
    let types: Vec<&str> = events[7..]
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "PlaylistRestored",
            "DetailsUpdated",
            "TrackRemoved",
            "TrackAdded",
            "TrackMoved"
        ]
    );
    assert_eq!(events[7]["change"]["to_version"], 3);
    assert_eq!(events.len(), 12, "nothing was rewritten");

    let err = expect_error(
        app.post(&path(&id, "restore/"), token, &json!({"version": 99}))
            .await,
        400,
    )
    .await;
    assert_eq!(err["field"], "version");
    expect_error(
        app.post(&path(&id, "restore/"), token, &json!({"version": 0}))
            .await,
        400,
    )
    .await;
    let stale = app
        .client
        .post(app.url(&path(&id, "restore/")))
        .bearer_auth(&ada.access)
        .header("if-match", "\"7\"")
        .json(&json!({"version": 1}))
        .send()
        .await
        .unwrap();
    expect_error(stale, 412).await;
}

#[tokio::test]
async fn read_models_rebuilt_from_events_alone_are_the_same() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let (id, ids) = eventful_playlist(&app, &ada).await;
    let token = Some(ada.access.as_str());
    let gone = app.playlist(&ada.access, "Gone", true).await;
    app.delete(&path(&gone, ""), token).await;
    for track in &ids {
        let body = json!({"track_id": track});
        app.post("/api/playlists/favorites/add/", token, &body)
            .await;
    }
    let remove = format!("/api/playlists/favorites/remove/?track_id={}", ids[1]);
    app.delete(&remove, token).await;

    let snapshot = async || {
        let list = ok_json(app.get("/api/playlists/playlists/", token).await).await;
        let playlist = ok_json(app.get(&path(&id, ""), token).await).await;
        let favorites = ok_json(app.get("/api/playlists/favorites/", token).await).await;
        (list, playlist, favorites)
    };
    let before = snapshot().await;
    for name in ["playlists", "favorites"] {
        let projection = app.state.projections.find(name).expect("projection");
        app.state
            .projections
            .rebuild(projection.as_ref())
            .await
            .expect("rebuild");
    }
    assert_eq!(snapshot().await, before);
    assert_eq!(before.2.as_array().unwrap().len(), 2);
}
