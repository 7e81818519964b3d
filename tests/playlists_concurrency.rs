//! Concurrent changes to one playlist: none is lost, and `If-Match` lets a client refuse
//! to overwrite what it has not seen.

mod common;

use std::collections::HashSet;

use common::{TestApp, expect_error, spawn_app};
use futures::future::join_all;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn path(id: &str, rest: &str) -> String {
    format!("/api/playlists/playlists/{id}/{rest}")
}

async fn add_track(app: &TestApp, token: &str, id: &str, track: &str) -> StatusCode {
    app.post(
        &path(id, "add_track/"),
        Some(token),
        &json!({"track_id": track}),
    )
    .await
    .status()
}

/// Opens connections ahead of the race, so the requests really overlap.
async fn warm_up(app: &TestApp, token: &str, id: &str) {
    let url = path(id, "");
    join_all((0..16).map(|_| app.get(&url, Some(token)))).await;
}

async fn playlist(app: &TestApp, token: &str, id: &str) -> (Value, String) {
    let resp = app.get(&path(id, ""), Some(token)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().unwrap().to_owned();
    (resp.json().await.unwrap(), etag)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_concurrent_additions_on_two_instances_all_land_densely() {
    let app = spawn_app().await;
    let other = app.second_instance().await;
    let ada = app.user("ada").await;
    let ids = app.track_ids(&ada.access, 32).await;
    let id = app.playlist(&ada.access, "Party", false).await;
    warm_up(&app, &ada.access, &id).await;
    warm_up(&other, &ada.access, &id).await;

    let statuses = join_all(ids.iter().enumerate().map(|(i, track)| {
        let instance = if i % 2 == 0 { &app } else { &other };
        add_track(instance, &ada.access, &id, track)
    }))
    .await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );

    for instance in [&app, &other] {
        let (playlist, etag) = playlist(instance, &ada.access, &id).await;
        assert_eq!(etag, "\"33\"", "one creation and 32 additions");
        let tracks = playlist["tracks"].as_array().unwrap();
        assert_eq!(tracks.len(), 32);
        assert_eq!(playlist["track_count"], 32);
        let positions: Vec<u64> = tracks
            .iter()
            .map(|t| t["position"].as_u64().unwrap())
            .collect();
        assert_eq!(positions, (0..32).collect::<Vec<u64>>());
        let seen: HashSet<&str> = tracks
            .iter()
            .map(|t| t["track_id"].as_str().unwrap())
            .collect();
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(seen, wanted);
    }
    let history = app.get(&path(&id, "history/"), Some(&ada.access)).await;
    assert_eq!(history.headers()["x-total-count"], "33");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_track_added_concurrently_lands_once() {
    let app = spawn_app().await;
    let other = app.second_instance().await;
    let ada = app.user("ada").await;
    let ids = app.track_ids(&ada.access, 1).await;
    let id = app.playlist(&ada.access, "Once", false).await;
    warm_up(&app, &ada.access, &id).await;
    warm_up(&other, &ada.access, &id).await;

    let statuses = join_all((0..8).map(|i| {
        let instance = if i % 2 == 0 { &app } else { &other };
        add_track(instance, &ada.access, &id, &ids[0])
    }))
    .await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    assert_eq!((created, refused), (1, 7), "{statuses:?}");
    let (playlist, etag) = playlist(&app, &ada.access, &id).await;
    assert_eq!(playlist["track_count"], 1);
    assert_eq!(etag, "\"2\"");
}

#[tokio::test]
async fn if_match_refuses_changes_to_a_playlist_that_moved_on() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let ids = app.track_ids(&ada.access, 2).await;
    let id = app.playlist(&ada.access, "Careful", false).await;
    let send = |method: reqwest::Method, rest: &str, if_match: &str, body: Value| {
        app.client
            .request(method, app.url(&path(&id, rest)))
            .bearer_auth(&ada.access)
            .header("if-match", if_match)
            .json(&body)
            .send()
    };

    let (_, etag) = playlist(&app, &ada.access, &id).await;
    assert_eq!(etag, "\"1\"");
    let resp = send(reqwest::Method::PATCH, "", &etag, json!({"name": "v2"}))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"2\"");

    // Another client still holding version 1 is refused, whatever it tries.
    let stale = json!({"name": "lost update"});
    let err = expect_error(
        send(reqwest::Method::PATCH, "", "\"1\"", stale)
            .await
            .unwrap(),
        412,
    )
    .await;
    assert!(
        err["message"].as_str().unwrap().contains("version 2"),
        "{err}"
    );
    let add = json!({"track_id": ids[0]});
    expect_error(
        send(reqwest::Method::POST, "add_track/", "1", add.clone())
            .await
            .unwrap(),
        412,
    )
    .await;
    expect_error(
        send(reqwest::Method::DELETE, "", "\"1\"", json!({}))
            .await
            .unwrap(),
        412,
    )
    .await;
    let (unchanged, etag) = playlist(&app, &ada.access, &id).await;
    assert_eq!(
        (unchanged["name"].as_str(), etag.as_str()),
        (Some("v2"), "\"2\"")
    );

    // The current version, an unquoted one, or `*` are accepted; junk is a 400.
    let resp = send(reqwest::Method::POST, "add_track/", "2", add)
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["etag"], "\"3\"");
    let resp = send(
        reqwest::Method::POST,
        "add_track/",
        "*",
        json!({"track_id": ids[1]}),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let err = expect_error(
        send(reqwest::Method::PATCH, "", "W/\"x\"", json!({}))
            .await
            .unwrap(),
        400,
    )
    .await;
    assert_eq!(err["field"], "If-Match");
}
