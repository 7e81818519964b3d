//! Favorites over HTTP: each user's own library of tracks.

mod common;

use common::{expect_error, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LIST: &str = "/api/playlists/favorites/";
const ADD: &str = "/api/playlists/favorites/add/";

fn remove(track: &str) -> String {
    format!("/api/playlists/favorites/remove/?track_id={track}")
}

async fn ok_json(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.expect("JSON body");
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn track_ids_of(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| f["track_id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn favorites_are_added_listed_newest_first_and_removed() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let token = Some(ada.access.as_str());
    let ids = app.track_ids(&ada.access, 3).await;

    let resp = app.post(ADD, token, &json!({"track_id": ids[0]})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let added = ok_json(resp).await;
    let catalog = ok_json(
        app.get(&format!("/api/catalogue/tracks/{}/", ids[0]), token)
            .await,
    )
    .await;
    assert_eq!(
        added,
        json!({
            "message": "Track added to favorites",
            "track_info": {"track_id": ids[0], "track_title": catalog["track"]["title"]}
        })
    );
    let as_number: u64 = ids[1].parse().unwrap();
    ok_json(app.post(ADD, token, &json!({"track_id": as_number})).await).await;
    ok_json(app.post(ADD, token, &json!({"track_id": ids[2]})).await).await;

    let resp = app.get(LIST, token).await;
    assert_eq!(resp.headers()["x-total-count"], "3");
    let list = ok_json(resp).await;
    assert_eq!(
        track_ids_of(&list),
        [&ids[2], &ids[1], &ids[0]].map(String::as_str)
    );
    let oldest = &list[2];
    assert!(oldest["id"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
    assert_eq!(oldest["track_title"], catalog["track"]["title"]);
    assert_eq!(oldest["artist_id"], catalog["track"]["artist"]["id"]);
    assert_eq!(oldest["artist_name"], catalog["track"]["artist"]["name"]);
    assert_eq!(oldest["album_title"], catalog["track"]["album"]["title"]);
    assert_eq!(
        oldest["album_cover"],
        catalog["track"]["album"]["cover_medium"]
    );
    assert!(oldest["added_at"].is_string());

    let resp = app.get(&format!("{LIST}?limit=1&offset=1"), token).await;
    assert_eq!(resp.headers()["x-total-count"], "3");
    assert_eq!(track_ids_of(&ok_json(resp).await), [ids[1].as_str()]);

    let resp = app.delete(&remove(&ids[1]), token).await;
    assert_eq!(
        ok_json(resp).await,
        json!({"message": "Track removed from favorites"})
    );
    let list = ok_json(app.get(LIST, token).await).await;
    assert_eq!(track_ids_of(&list), [&ids[2], &ids[0]].map(String::as_str));
    let err = expect_error(app.delete(&remove(&ids[1]), token).await, 404).await;
    assert!(err["message"].as_str().unwrap().contains(&ids[1]));
}

#[tokio::test]
async fn a_favorite_added_twice_is_a_400_naming_it() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let token = Some(ada.access.as_str());
    let ids = app.track_ids(&ada.access, 1).await;
    ok_json(app.post(ADD, token, &json!({"track_id": ids[0]})).await).await;
    let err = expect_error(
        app.post(ADD, token, &json!({"track_id": ids[0]})).await,
        400,
    )
    .await;
    assert_eq!(err["field"], "track_id");
    assert!(err["message"].as_str().unwrap().contains(&ids[0]), "{err}");
}

#[tokio::test]
async fn unknown_and_malformed_track_ids_are_refused() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let token = Some(ada.access.as_str());
    let err = expect_error(
        app.post(ADD, token, &json!({"track_id": "999999999999"}))
            .await,
        404,
    )
    .await;
    assert!(err["message"].as_str().unwrap().contains("999999999999"));
    let uuid = "0195c0de-0000-7000-8000-000000000000";
    let err = expect_error(app.post(ADD, token, &json!({"track_id": uuid})).await, 400).await;
    assert_eq!(err["field"], "track_id");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("catalog (Deezer) id")
    );
    expect_error(app.post(ADD, token, &json!({})).await, 400).await;
    expect_error(app.delete(&remove("abc"), token).await, 400).await;
    expect_error(app.get(&format!("{LIST}?limit=0"), token).await, 400).await;
    expect_error(app.get(LIST, None).await, 401).await;
    assert_eq!(ok_json(app.get(LIST, token).await).await, json!([]));
}

#[tokio::test]
async fn each_user_has_their_own_favorites() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let ids = app.track_ids(&ada.access, 2).await;
    let body = json!({"track_id": ids[0]});
    ok_json(app.post(ADD, Some(&ada.access), &body).await).await;
    ok_json(app.post(ADD, Some(&bob.access), &body).await).await;
    let body = json!({"track_id": ids[1]});
    ok_json(app.post(ADD, Some(&bob.access), &body).await).await;

    expect_error(app.delete(&remove(&ids[1]), Some(&ada.access)).await, 404).await;
    ok_json(app.delete(&remove(&ids[0]), Some(&ada.access)).await).await;
    let ada_list = ok_json(app.get(LIST, Some(&ada.access)).await).await;
    assert_eq!(ada_list, json!([]));
    let bob_list = ok_json(app.get(LIST, Some(&bob.access)).await).await;
    assert_eq!(track_ids_of(&bob_list), [ids[1].as_str(), ids[0].as_str()]);
}
