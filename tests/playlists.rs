//! Playlists over HTTP: the contract's endpoints, validation and who may do what.

mod common;

use common::{TestApp, expect_error, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const UNKNOWN_TRACK: &str = "999999999999";

fn path(id: &str, rest: &str) -> String {
    format!("/api/playlists/playlists/{id}/{rest}")
}

async fn ok_json(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.expect("JSON body");
    assert!(status.is_success(), "{status}: {body}");
    body
}

async fn get_playlist(app: &TestApp, token: &str, id: &str) -> Value {
    ok_json(app.get(&path(id, ""), Some(token)).await).await
}

fn track_ids_of(playlist: &Value) -> Vec<&str> {
    playlist["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["track_id"].as_str().unwrap())
        .collect()
}

fn positions_of(playlist: &Value) -> Vec<u64> {
    playlist["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["position"].as_u64().unwrap())
        .collect()
}

async fn add_track(app: &TestApp, token: &str, id: &str, track: &str) -> reqwest::Response {
    app.post(
        &path(id, "add_track/"),
        Some(token),
        &json!({"track_id": track}),
    )
    .await
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

#[tokio::test]
async fn a_playlist_is_created_read_listed_updated_and_deleted() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let resp = app
        .post(
            "/api/playlists/playlists/",
            Some(&ada.access),
            &json!({"name": "  Road trip ", "description": "Songs for the road", "is_public": true}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["etag"], "\"1\"");
    let created = ok_json(resp).await;
    assert_eq!(created["name"], "Road trip");
    assert_eq!(created["description"], "Songs for the road");
    assert_eq!(created["is_public"], true);
    assert!(created["created_at"].is_string());
    let id = created["id"].as_str().unwrap();

    let playlist = get_playlist(&app, &ada.access, id).await;
    assert_eq!(playlist["name"], "Road trip");
    assert_eq!(playlist["track_count"], 0);
    assert_eq!(playlist["tracks"], json!([]));
    assert!(playlist["cover_image"].is_null());
    assert_eq!(playlist["created_at"], playlist["updated_at"]);

    let resp = app
        .get("/api/playlists/playlists/", Some(&ada.access))
        .await;
    assert_eq!(resp.headers()["x-total-count"], "1");
    let list = ok_json(resp).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let summary = &list[0];
    assert_eq!(summary["id"], id);
    assert_eq!(summary["track_count"], 0);
    assert!(summary.get("tracks").is_none());

    let resp = app
        .patch(
            &path(id, ""),
            Some(&ada.access),
            &json!({"name": "Road trip 2", "is_public": false}),
        )
        .await;
    assert_eq!(resp.headers()["etag"], "\"2\"");
    let updated = ok_json(resp).await;
    assert_eq!(updated["name"], "Road trip 2");
    assert_eq!(updated["description"], "Songs for the road");
    assert_eq!(updated["is_public"], false);
    assert!(updated["updated_at"].as_str().unwrap() >= created["created_at"].as_str().unwrap());

    let resp = app.delete(&path(id, ""), Some(&ada.access)).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    expect_error(app.get(&path(id, ""), Some(&ada.access)).await, 404).await;
    expect_error(app.delete(&path(id, ""), Some(&ada.access)).await, 404).await;
    let list = ok_json(
        app.get("/api/playlists/playlists/", Some(&ada.access))
            .await,
    )
    .await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn tracks_are_added_with_their_metadata_moved_and_removed_at_dense_positions() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let ids = app.track_ids(&ada.access, 5).await;
    let id = app.playlist(&ada.access, "Mix", false).await;

    let resp = add_track(&app, &ada.access, &id, &ids[0]).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.headers()["etag"], "\"2\"");
    let added = ok_json(resp).await;
    assert_eq!(added["message"], "Track added successfully");
    let catalog = ok_json(
        app.get(
            &format!("/api/catalogue/tracks/{}/", ids[0]),
            Some(&ada.access),
        )
        .await,
    )
    .await;
    let info = &added["track_info"];
    assert_eq!(info["track_id"], ids[0].as_str());
    assert_eq!(info["track_title"], catalog["track"]["title"]);
    assert_eq!(info["artist_name"], catalog["track"]["artist"]["name"]);

    // A number is accepted as well as a string.
    let as_number: u64 = ids[1].parse().unwrap();
    let resp = app
        .post(
            &path(&id, "add_track/"),
            Some(&ada.access),
            &json!({"track_id": as_number}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);

    let resp = app
        .post(
            &path(&id, "add_tracks/"),
            Some(&ada.access),
            &json!({"tracks": [ids[1], ids[2], ids[3], ids[2], ids[4]]}),
        )
        .await;
    let many = ok_json(resp).await;
    assert_eq!(many, json!({"added_count": 3, "total": 4}));

    let playlist = get_playlist(&app, &ada.access, &id).await;
    assert_eq!(
        track_ids_of(&playlist),
        ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(positions_of(&playlist), vec![0, 1, 2, 3, 4]);
    assert_eq!(playlist["track_count"], 5);
    let first = &playlist["tracks"][0];
    assert_eq!(first["id"], info["id"]);
    assert_eq!(first["track_title"], catalog["track"]["title"]);
    assert_eq!(first["artist_id"], catalog["track"]["artist"]["id"]);
    assert_eq!(first["album_title"], catalog["track"]["album"]["title"]);
    assert_eq!(
        first["album_cover"],
        catalog["track"]["album"]["cover_medium"]
    );
    assert_eq!(first["duration"], catalog["track"]["duration"]);
    assert!(first["added_at"].is_string());

    let moved = ok_json(
        app.post(
            &path(&id, "move_track/"),
            Some(&ada.access),
            &json!({"track_id": ids[4], "position": 1}),
        )
        .await,
    )
    .await;
    let expected = [&ids[0], &ids[4], &ids[1], &ids[2], &ids[3]];
    assert_eq!(track_ids_of(&moved), expected.map(String::as_str).to_vec());
    assert_eq!(positions_of(&moved), vec![0, 1, 2, 3, 4]);

    let moved = ok_json(
        app.post(
            &path(&id, "move_track/"),
            Some(&ada.access),
            &json!({"track_id": ids[0], "position": 3}),
        )
        .await,
    )
    .await;
    let expected = [&ids[4], &ids[1], &ids[2], &ids[0], &ids[3]];
    assert_eq!(track_ids_of(&moved), expected.map(String::as_str).to_vec());
    assert_eq!(positions_of(&moved), vec![0, 1, 2, 3, 4]);

    let resp = app
        .delete(
            &path(&id, &format!("remove_track/?track_id={}", ids[4])),
            Some(&ada.access),
        )
        .await;
    assert_eq!(
        ok_json(resp).await,
        json!({"message": "Track removed successfully"})
    );
    let playlist = get_playlist(&app, &ada.access, &id).await;
    let expected = [&ids[1], &ids[2], &ids[0], &ids[3]];
    assert_eq!(
        track_ids_of(&playlist),
        expected.map(String::as_str).to_vec()
    );
    assert_eq!(positions_of(&playlist), vec![0, 1, 2, 3]);
    assert_eq!(playlist["track_count"], 4);

    let resp = app
        .delete(
            &path(&id, &format!("remove_track/?track_id={}", ids[4])),
            Some(&ada.access),
        )
        .await;
    let err = expect_error(resp, 404).await;
    assert!(err["message"].as_str().unwrap().contains(&ids[4]));
}

#[tokio::test]
async fn adding_a_track_already_there_is_a_400_naming_it() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let ids = app.track_ids(&ada.access, 1).await;
    let id = app.playlist(&ada.access, "Mix", false).await;
    assert_eq!(
        add_track(&app, &ada.access, &id, &ids[0]).await.status(),
        StatusCode::CREATED
    );
    let err = expect_error(add_track(&app, &ada.access, &id, &ids[0]).await, 400).await;
    assert_eq!(err["field"], "track_id");
    assert!(err["message"].as_str().unwrap().contains(&ids[0]), "{err}");
}

#[tokio::test]
async fn unknown_tracks_are_404s_and_nothing_is_recorded() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let ids = app.track_ids(&ada.access, 1).await;
    let id = app.playlist(&ada.access, "Mix", false).await;
    let err = expect_error(add_track(&app, &ada.access, &id, UNKNOWN_TRACK).await, 404).await;
    assert!(err["message"].as_str().unwrap().contains(UNKNOWN_TRACK));
    let resp = app
        .post(
            &path(&id, "add_tracks/"),
            Some(&ada.access),
            &json!({"tracks": [ids[0], UNKNOWN_TRACK]}),
        )
        .await;
    expect_error(resp, 404).await;
    let resp = app.get(&path(&id, ""), Some(&ada.access)).await;
    assert_eq!(resp.headers()["etag"], "\"1\"", "no event was written");
    assert_eq!(ok_json(resp).await["tracks"], json!([]));
}

#[tokio::test]
async fn ids_of_the_wrong_kind_get_a_clear_400() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let id = app.playlist(&ada.access, "Mix", false).await;

    let err = expect_error(add_track(&app, &ada.access, &id, &id).await, 400).await;
    assert_eq!(err["field"], "track_id");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("catalog (Deezer) id")
    );

    let err = expect_error(
        app.get("/api/playlists/playlists/3135556/", Some(&ada.access))
            .await,
        400,
    )
    .await;
    assert!(
        err["message"].as_str().unwrap().contains("PlayPod id"),
        "{err}"
    );

    for bad in [json!("abc"), json!(-3), json!(1.5), json!(null), json!([1])] {
        let resp = app
            .post(
                &path(&id, "add_track/"),
                Some(&ada.access),
                &json!({"track_id": bad}),
            )
            .await;
        expect_error(resp, 400).await;
    }
    let resp = app
        .delete(
            &path(&id, &format!("remove_track/?track_id={id}")),
            Some(&ada.access),
        )
        .await;
    assert_eq!(expect_error(resp, 400).await["field"], "track_id");
    let resp = app
        .delete(&path(&id, "remove_track/"), Some(&ada.access))
        .await;
    expect_error(resp, 400).await;
}

#[tokio::test]
async fn invalid_values_are_400s_naming_the_field() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let ids = app.track_ids(&ada.access, 2).await;
    let id = app.playlist(&ada.access, "Mix", false).await;
    let create = async |body: Value| {
        app.post("/api/playlists/playlists/", Some(&ada.access), &body)
            .await
    };
    for (body, field) in [
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (
            json!({"name": "ok", "description": "x".repeat(1001)}),
            "description",
        ),
    ] {
        assert_eq!(expect_error(create(body).await, 400).await["field"], field);
    }
    expect_error(create(json!({"description": "no name"})).await, 400).await;
    let resp = app
        .patch(&path(&id, ""), Some(&ada.access), &json!({"name": ""}))
        .await;
    assert_eq!(expect_error(resp, 400).await["field"], "name");

    add_track(&app, &ada.access, &id, &ids[0]).await;
    let resp = app
        .post(
            &path(&id, "move_track/"),
            Some(&ada.access),
            &json!({"track_id": ids[0], "position": 1}),
        )
        .await;
    assert_eq!(expect_error(resp, 400).await["field"], "position");
    let resp = app
        .post(
            &path(&id, "move_track/"),
            Some(&ada.access),
            &json!({"track_id": ids[1], "position": 0}),
        )
        .await;
    expect_error(resp, 404).await;
    let resp = app
        .post(
            &path(&id, "add_tracks/"),
            Some(&ada.access),
            &json!({"tracks": []}),
        )
        .await;
    assert_eq!(expect_error(resp, 400).await["field"], "tracks");
    for query in ["?limit=0", "?limit=101", "?offset=-1", "?me=maybe"] {
        let resp = app
            .get(
                &format!("/api/playlists/playlists/{query}"),
                Some(&ada.access),
            )
            .await;
        expect_error(resp, 400).await;
    }
    expect_error(app.get("/api/playlists/playlists/", None).await, 401).await;
}

#[tokio::test]
async fn another_users_private_playlist_is_a_404_for_everything() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let ids = app.track_ids(&ada.access, 1).await;
    let id = app.playlist(&ada.access, "Secret", false).await;
    add_track(&app, &ada.access, &id, &ids[0]).await;

    let bob_token = Some(bob.access.as_str());
    expect_error(app.get(&path(&id, ""), bob_token).await, 404).await;
    expect_error(
        app.patch(&path(&id, ""), bob_token, &json!({"name": "x"}))
            .await,
        404,
    )
    .await;
    expect_error(app.delete(&path(&id, ""), bob_token).await, 404).await;
    expect_error(add_track(&app, &bob.access, &id, &ids[0]).await, 404).await;
    let remove = path(&id, &format!("remove_track/?track_id={}", ids[0]));
    expect_error(app.delete(&remove, bob_token).await, 404).await;
    let list = ok_json(app.get("/api/playlists/playlists/", bob_token).await).await;
    assert_eq!(list, json!([]));
    assert_eq!(get_playlist(&app, &ada.access, &id).await["track_count"], 1);
}

#[tokio::test]
async fn another_users_public_playlist_is_readable_and_a_403_to_change() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let ids = app.track_ids(&ada.access, 2).await;
    let id = app.playlist(&ada.access, "Shared", true).await;
    add_track(&app, &ada.access, &id, &ids[0]).await;

    let bob_token = Some(bob.access.as_str());
    let seen = get_playlist(&app, &bob.access, &id).await;
    assert_eq!(track_ids_of(&seen), vec![ids[0].as_str()]);
    let list = ok_json(app.get("/api/playlists/playlists/", bob_token).await).await;
    assert_eq!(list[0]["id"], id.as_str());

    expect_error(
        app.patch(&path(&id, ""), bob_token, &json!({"name": "x"}))
            .await,
        403,
    )
    .await;
    expect_error(app.delete(&path(&id, ""), bob_token).await, 403).await;
    expect_error(add_track(&app, &bob.access, &id, &ids[1]).await, 403).await;
    let many = json!({"tracks": [ids[1]]});
    expect_error(
        app.post(&path(&id, "add_tracks/"), bob_token, &many).await,
        403,
    )
    .await;
    let remove = path(&id, &format!("remove_track/?track_id={}", ids[0]));
    expect_error(app.delete(&remove, bob_token).await, 403).await;
    let move_it = json!({"track_id": ids[0], "position": 0});
    expect_error(
        app.post(&path(&id, "move_track/"), bob_token, &move_it)
            .await,
        403,
    )
    .await;
    let part = reqwest::multipart::Part::bytes(png()).file_name("c.png");
    let resp = app
        .client
        .post(app.url(&path(&id, "upload-cover/")))
        .bearer_auth(&bob.access)
        .multipart(reqwest::multipart::Form::new().part("cover_image", part))
        .send()
        .await
        .unwrap();
    expect_error(resp, 403).await;

    let unchanged = get_playlist(&app, &ada.access, &id).await;
    assert_eq!(unchanged["name"], "Shared");
    assert_eq!(track_ids_of(&unchanged), vec![ids[0].as_str()]);
}

#[tokio::test]
async fn lists_show_public_and_own_playlists_filter_with_me_and_paginate() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let bob = app.user("bob").await;
    let ada_private = app.playlist(&ada.access, "Ada private", false).await;
    let ada_public = app.playlist(&ada.access, "Ada public", true).await;
    let bob_public = app.playlist(&bob.access, "Bob public", true).await;
    app.playlist(&bob.access, "Bob private", false).await;

    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let resp = app
        .get("/api/playlists/playlists/", Some(&ada.access))
        .await;
    assert_eq!(resp.headers()["x-total-count"], "3");
    let all = ok_json(resp).await;
    assert_eq!(names(&all), ["Bob public", "Ada public", "Ada private"]);

    let mine = ok_json(
        app.get("/api/playlists/playlists/?me=true", Some(&ada.access))
            .await,
    )
    .await;
    assert_eq!(names(&mine), ["Ada public", "Ada private"]);

    let resp = app
        .get(
            "/api/playlists/playlists/?limit=2&offset=1",
            Some(&ada.access),
        )
        .await;
    assert_eq!(resp.headers()["x-total-count"], "3");
    let page = ok_json(resp).await;
    let ids: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [ada_public.as_str(), ada_private.as_str()]);
    let resp = app
        .get("/api/playlists/playlists/?offset=10", Some(&ada.access))
        .await;
    assert_eq!(resp.headers()["x-total-count"], "3");
    assert_eq!(ok_json(resp).await, json!([]));
    let bobs = ok_json(
        app.get("/api/playlists/playlists/?me=true", Some(&bob.access))
            .await,
    )
    .await;
    assert_eq!(bobs.as_array().unwrap().len(), 2);
    assert!(names(&bobs).contains(&"Bob public".to_owned()));
    assert!(!bob_public.is_empty());
}

/// The playlists as the test made them, oldest first: (id, name, owner, public).
type Made = Vec<(String, String, String, bool)>;

/// Every page of two of each user's list and `me=true` list, and an empty one past the
/// end, has the total and the playlists that `made` says, newest first.
async fn assert_lists(app: &TestApp, users: &[&common::User], made: &Made) {
    for user in users {
        for mine in [false, true] {
            let expected: Vec<&str> = made
                .iter()
                .rev()
                .filter(|(_, _, owner, public)| *owner == user.id || (*public && !mine))
                .map(|(_, name, _, _)| name.as_str())
                .collect();
            for offset in (0..expected.len() + 2).step_by(2) {
                let resp = app
                    .get(
                        &format!("/api/playlists/playlists/?me={mine}&limit=2&offset={offset}"),
                        Some(&user.access),
                    )
                    .await;
                let total = resp.headers()["x-total-count"].to_str().unwrap().to_owned();
                let page = ok_json(resp).await;
                let names: Vec<&str> = page
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["name"].as_str().unwrap())
                    .collect();
                let context = format!("{} me={mine} offset={offset}", user.email);
                assert_eq!(total, expected.len().to_string(), "{context}");
                let page = offset.min(expected.len())..expected.len().min(offset + 2);
                assert_eq!(names, expected[page], "{context}");
            }
        }
    }
}

#[tokio::test]
async fn list_totals_and_pages_follow_visibility_changes_and_deletions() {
    let app = spawn_app().await;
    let (ada, bob, cyd) = (
        app.user("ada").await,
        app.user("bob").await,
        app.user("cyd").await,
    );
    let mut made = Made::new();
    for (user, name, public) in [
        (&ada, "A1", false),
        (&ada, "A2", true),
        (&bob, "B1", true),
        (&bob, "B2", false),
        (&cyd, "C1", true),
        (&ada, "A3", false),
        (&bob, "B3", true),
        (&ada, "A4", true),
        (&cyd, "C2", false),
    ] {
        let id = app.playlist(&user.access, name, public).await;
        made.push((id, name.to_owned(), user.id.clone(), public));
    }
    let users = [&ada, &bob, &cyd];
    assert_lists(&app, &users, &made).await;

    let index = |made: &Made, name: &str| made.iter().position(|p| p.1 == name).unwrap();
    let set_public = async |made: &mut Made, user: &common::User, name: &str, public: bool| {
        let i = index(made, name);
        let body = json!({"is_public": public, "description": "changed"});
        ok_json(
            app.patch(&path(&made[i].0, ""), Some(&user.access), &body)
                .await,
        )
        .await;
        made[i].3 = public;
    };
    let delete = async |made: &mut Made, user: &common::User, name: &str| {
        let i = index(made, name);
        let resp = app.delete(&path(&made[i].0, ""), Some(&user.access)).await;
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
        made.remove(i);
    };
    set_public(&mut made, &ada, "A1", true).await;
    set_public(&mut made, &bob, "B1", false).await;
    // Already public: the details change, the number of public playlists does not.
    set_public(&mut made, &ada, "A2", true).await;
    delete(&mut made, &cyd, "C1").await;
    delete(&mut made, &ada, "A3").await;
    assert_lists(&app, &users, &made).await;

    // The count is rebuilt from the events alone.
    let projection = app.state.projections.find("playlists").unwrap();
    app.state
        .projections
        .rebuild(projection.as_ref())
        .await
        .unwrap();
    assert_lists(&app, &users, &made).await;

    // No public playlist left.
    for (user, name) in [(&ada, "A1"), (&ada, "A2"), (&bob, "B3")] {
        set_public(&mut made, user, name, false).await;
    }
    delete(&mut made, &ada, "A4").await;
    assert!(made.iter().all(|p| !p.3));
    assert_lists(&app, &users, &made).await;
}

/// A database whose playlists were projected before `playlist_counts` existed gets the
/// count from them when it is upgraded: the rows a rebuild would make.
#[tokio::test]
async fn upgrading_counts_the_public_playlists_already_there() {
    let app = spawn_app().await;
    let (ada, bob) = (app.user("ada").await, app.user("bob").await);
    let public = [
        app.playlist(&ada.access, "First", true).await,
        app.playlist(&ada.access, "Second", true).await,
    ];
    app.playlist(&bob.access, "Third", false).await;
    let upgrade_and_total = async || {
        let pool = &app.state.pool;
        sqlx::raw_sql(
            "drop table playlist_counts;
             delete from _sqlx_migrations where version = 20261126000050;",
        )
        .execute(pool)
        .await
        .unwrap();
        playpod::db::migrate(pool).await.unwrap();
        let projection = app.state.projections.find("playlists").unwrap();
        let verification = projections::verify::verify(pool, projection.as_ref())
            .await
            .unwrap();
        assert!(verification.matches(), "{verification:?}");
        let resp = app
            .get("/api/playlists/playlists/", Some(&bob.access))
            .await;
        resp.headers()["x-total-count"].to_str().unwrap().to_owned()
    };
    assert_eq!(upgrade_and_total().await, "3");

    // None public: no row.
    for id in &public {
        let body = json!({"is_public": false});
        ok_json(app.patch(&path(id, ""), Some(&ada.access), &body).await).await;
    }
    assert_eq!(upgrade_and_total().await, "1");
}

#[tokio::test]
async fn covers_are_checked_by_content_stored_and_shown() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let id = app.playlist(&ada.access, "Mix", true).await;
    let upload = |bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("cover.png")
            .mime_str("image/png")
            .unwrap();
        app.client
            .post(app.url(&path(&id, "upload-cover/")))
            .bearer_auth(&ada.access)
            .multipart(reqwest::multipart::Form::new().part("cover_image", part))
            .send()
    };
    let resp = upload(png()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"2\"");
    let url = ok_json(resp).await["cover_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.starts_with("/media/covers/"), "{url}");
    let served = app.get(&url, None).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.bytes().await.unwrap().to_vec(), png());
    assert_eq!(
        get_playlist(&app, &ada.access, &id).await["cover_image"],
        url.as_str()
    );
    let list = ok_json(
        app.get("/api/playlists/playlists/", Some(&ada.access))
            .await,
    )
    .await;
    assert_eq!(list[0]["cover_image"], url.as_str());

    expect_error(upload(b"GIF? no, text".to_vec()).await.unwrap(), 415).await;
    let mut big = png();
    big.resize(5 * 1024 * 1024 + 1, 0);
    expect_error(upload(big).await.unwrap(), 413).await;
    let resp = app
        .client
        .post(app.url(&path(&id, "upload-cover/")))
        .bearer_auth(&ada.access)
        .multipart(reqwest::multipart::Form::new().text("other", "x"))
        .send()
        .await
        .unwrap();
    expect_error(resp, 400).await;
}

#[tokio::test]
async fn a_playlist_is_generated_from_a_genres_top_tracks() {
    let app = spawn_app().await;
    let ada = app.user("ada").await;
    let resp = app
        .post(
            "/api/playlists/generate/",
            Some(&ada.access),
            &json!({"genre": "electro"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let generated = ok_json(resp).await;
    assert_eq!(generated["genre"], "Electro");
    assert_eq!(generated["name"], "Electro Mix");
    assert!(
        generated["description"]
            .as_str()
            .unwrap()
            .contains("Electro")
    );
    let count = generated["track_count"].as_u64().unwrap();
    assert!(count > 0);

    let chart = ok_json(
        app.get(
            &format!("/api/charts/genre/106/?limit={count}"),
            Some(&ada.access),
        )
        .await,
    )
    .await;
    let chart_ids: Vec<&str> = chart["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    let playlist = get_playlist(&app, &ada.access, generated["id"].as_str().unwrap()).await;
    assert_eq!(track_ids_of(&playlist), chart_ids);
    assert_eq!(playlist["is_public"], false);

    let by_id = ok_json(
        app.post(
            "/api/playlists/generate/",
            Some(&ada.access),
            &json!({"genre": "ignored", "genre_id": 106, "name": "Dance floor"}),
        )
        .await,
    )
    .await;
    assert_eq!(by_id["name"], "Dance floor");
    assert_eq!(by_id["genre"], "Electro");

    let resp = app
        .post(
            "/api/playlists/generate/",
            Some(&ada.access),
            &json!({"genre": "Not a genre"}),
        )
        .await;
    expect_error(resp, 404).await;
    let resp = app
        .post(
            "/api/playlists/generate/",
            Some(&ada.access),
            &json!({"genre": "Rock", "name": " "}),
        )
        .await;
    assert_eq!(expect_error(resp, 400).await["field"], "name");
}
