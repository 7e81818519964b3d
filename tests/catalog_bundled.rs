//! The catalogue and charts endpoints over HTTP, answered by the bundled offline catalog
//! (the default when DEEZER_BASE_URL is not set): no network needed.

mod common;

use common::{TestApp, expect_error, spawn_app};
use serde_json::Value;

async fn app_and_token() -> (TestApp, String) {
    let app = spawn_app().await;
    let token = app.user("listener").await.access;
    (app, token)
}

async fn ok_json(app: &TestApp, path: &str, token: &str) -> Value {
    let resp = app.get(path, Some(token)).await;
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    resp.json().await.unwrap()
}

fn titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn catalogue_and_charts_need_a_bearer_token() {
    let app = spawn_app().await;
    for path in [
        "/api/catalogue/search/?q=daft",
        "/api/catalogue/artists/27/",
        "/api/catalogue/albums/302127/",
        "/api/catalogue/tracks/3135556/",
        "/api/catalogue/genres/",
        "/api/charts/genre/0/",
        "/api/charts/top/",
        "/api/charts/new-releases/",
        "/api/charts/top-albums/",
    ] {
        expect_error(app.get(path, None).await, 401).await;
    }
}

#[tokio::test]
async fn search_finds_tracks_artists_and_albums() {
    let (app, token) = app_and_token().await;
    let found = ok_json(&app, "/api/catalogue/search/?q=Daft%20Punk&limit=3", &token).await;
    let tracks = found["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 3);
    let track = &tracks[0];
    assert!(
        track["id"].as_str().unwrap().parse::<u64>().is_ok(),
        "{track}"
    );
    assert_eq!(track["artist"]["name"], "Daft Punk");
    assert!(track["artist"]["id"].is_string());
    assert!(
        track["album"]["cover_medium"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(track["duration"].as_u64().unwrap() > 0);
    assert_eq!(found["artists"][0]["name"], "Daft Punk");
    assert_eq!(found["artists"][0]["id"], "27");
    assert!(found["artists"][0]["picture_medium"].is_string());
    assert!(!found["albums"].as_array().unwrap().is_empty());
    assert!(found["albums"].as_array().unwrap().len() <= 3);
    assert_eq!(found["albums"][0]["artist"]["name"], "Daft Punk");

    let default = ok_json(&app, "/api/catalogue/search/?q=the", &token).await;
    assert_eq!(default["tracks"].as_array().unwrap().len(), 10);
    let none = ok_json(&app, "/api/catalogue/search/?q=qqzzxx", &token).await;
    assert_eq!(none["tracks"], Value::Array(vec![]));
}

#[tokio::test]
async fn search_refuses_bad_queries_and_limits() {
    let (app, token) = app_and_token().await;
    for path in [
        "/api/catalogue/search/",
        "/api/catalogue/search/?q=%20%20",
        "/api/catalogue/search/?q=daft&limit=0",
        "/api/catalogue/search/?q=daft&limit=101",
        "/api/catalogue/search/?q=daft&limit=-1",
        "/api/catalogue/search/?q=daft&limit=ten",
        "/api/catalogue/search/?q=daft&limit=",
    ] {
        expect_error(app.get(path, Some(&token)).await, 400).await;
    }
    let long = "a".repeat(201);
    let body = expect_error(
        app.get(&format!("/api/catalogue/search/?q={long}"), Some(&token))
            .await,
        400,
    )
    .await;
    assert_eq!(body["field"], "q");
}

#[tokio::test]
async fn an_artist_comes_with_albums_and_top_tracks() {
    let (app, token) = app_and_token().await;
    let page = ok_json(&app, "/api/catalogue/artists/27/", &token).await;
    assert_eq!(page["artist"]["id"], "27");
    assert_eq!(page["artist"]["name"], "Daft Punk");
    assert!(
        page["artist"]["picture_xl"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(page["artist"]["nb_album"].as_u64().unwrap() > 0);
    assert!(page["artist"]["nb_fan"].as_u64().unwrap() > 0);
    let albums = page["albums"].as_array().unwrap();
    assert!(albums.len() > 10);
    assert!(albums.iter().all(|a| a["artist"]["id"] == "27"));
    assert!(albums[0]["release_date"].is_string());
    let top = page["top_tracks"].as_array().unwrap();
    assert_eq!(top.len(), 10);
    assert!(
        top.iter()
            .all(|t| t["preview"].is_string() && t["album"]["id"].is_string())
    );
}

#[tokio::test]
async fn an_album_comes_with_its_tracks_in_order() {
    let (app, token) = app_and_token().await;
    let page = ok_json(&app, "/api/catalogue/albums/302127/", &token).await;
    assert_eq!(page["album"]["title"], "Discovery");
    assert_eq!(page["album"]["release_date"], "2001-03-07");
    assert_eq!(page["album"]["artist"]["name"], "Daft Punk");
    assert!(
        page["album"]["cover_xl"]
            .as_str()
            .unwrap()
            .contains("1000x1000")
    );
    let tracks = page["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 14);
    assert_eq!(tracks[0]["track_position"], 1);
    assert_eq!(tracks[3]["title"], "Harder Better Faster Stronger");
    assert_eq!(tracks[3]["preview"], "/api/catalogue/stream/3135556/");
}

#[tokio::test]
async fn a_track_comes_with_related_tracks() {
    let (app, token) = app_and_token().await;
    let page = ok_json(&app, "/api/catalogue/tracks/3135556/", &token).await;
    let track = &page["track"];
    assert_eq!(track["id"], "3135556");
    assert_eq!(track["title"], "Harder Better Faster Stronger");
    assert_eq!(track["duration"], 224);
    assert_eq!(
        track["artist"],
        serde_json::json!({"id": "27", "name": "Daft Punk"})
    );
    assert_eq!(track["album"]["id"], "302127");
    let related = page["related_tracks"].as_array().unwrap();
    assert_eq!(related.len(), 10);
    assert!(related.iter().all(|t| t["id"] != "3135556"));
}

#[tokio::test]
async fn wrong_kinds_of_ids_are_refused_and_unknown_ones_are_not_found() {
    let (app, token) = app_and_token().await;
    for kind in ["artists", "albums", "tracks"] {
        let uuid = expect_error(
            app.get(
                &format!("/api/catalogue/{kind}/0195c0de-0000-7000-8000-000000000000/"),
                Some(&token),
            )
            .await,
            400,
        )
        .await;
        assert!(
            uuid["message"]
                .as_str()
                .unwrap()
                .contains("catalog (Deezer) id"),
            "{uuid}"
        );
        assert!(uuid["message"].as_str().unwrap().contains("UUID"));
        for junk in ["-1", "abc", "0", "1.5"] {
            let body = expect_error(
                app.get(&format!("/api/catalogue/{kind}/{junk}/"), Some(&token))
                    .await,
                400,
            )
            .await;
            assert!(
                body["message"]
                    .as_str()
                    .unwrap()
                    .contains("positive integer")
            );
        }
        let missing = expect_error(
            app.get(&format!("/api/catalogue/{kind}/9999999999/"), Some(&token))
                .await,
            404,
        )
        .await;
        assert!(
            missing["message"]
                .as_str()
                .unwrap()
                .contains("id 9999999999")
        );
    }
}

#[tokio::test]
async fn genres_are_listed_with_all_first() {
    let (app, token) = app_and_token().await;
    let genres = ok_json(&app, "/api/catalogue/genres/", &token).await;
    let genres = genres.as_array().unwrap();
    assert!(genres.len() >= 23);
    assert_eq!(genres[0]["id"], 0);
    assert_eq!(genres[0]["name"], "All");
    assert!(
        genres
            .iter()
            .any(|g| g["id"] == 106 && g["name"] == "Electro")
    );
    assert!(
        genres[1]["picture_medium"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
}

#[tokio::test]
async fn genre_charts_accept_genre_zero_and_refuse_bad_ids() {
    let (app, token) = app_and_token().await;
    let all = ok_json(&app, "/api/charts/genre/0/", &token).await;
    assert_eq!(all["genre"]["id"], 0);
    assert_eq!(all["genre"]["name"], "All");
    assert_eq!(all["tracks"].as_array().unwrap().len(), 20);
    let electro = ok_json(&app, "/api/charts/genre/106/?limit=5", &token).await;
    assert_eq!(electro["genre"]["name"], "Electro");
    assert_eq!(electro["tracks"].as_array().unwrap().len(), 5);
    for bad in ["-1", "pop", "0195c0de-0000-7000-8000-000000000000"] {
        let body = expect_error(
            app.get(&format!("/api/charts/genre/{bad}/"), Some(&token))
                .await,
            400,
        )
        .await;
        assert_eq!(body["field"], "genre_id");
        assert!(body["message"].as_str().unwrap().contains("genre id"));
    }
    expect_error(
        app.get("/api/charts/genre/999999/", Some(&token)).await,
        404,
    )
    .await;
    expect_error(
        app.get("/api/charts/genre/0/?limit=1000", Some(&token))
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn top_charts_carry_positions() {
    let (app, token) = app_and_token().await;
    let top = ok_json(&app, "/api/charts/top/", &token).await;
    let tracks = top["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 20);
    assert_eq!(tracks[0]["position"], 1);
    assert_eq!(tracks[19]["position"], 20);
    assert_eq!(tracks[0]["title"], "LA FAMA");
    assert!(tracks[0]["artist"]["name"].is_string() && tracks[0]["album"]["id"].is_string());
    let top3 = ok_json(&app, "/api/charts/top/?limit=3", &token).await;
    assert_eq!(titles(&top3["tracks"]), titles(&top["tracks"])[..3]);

    let albums = ok_json(&app, "/api/charts/top-albums/?limit=100", &token).await;
    let albums = albums["albums"].as_array().unwrap();
    assert_eq!(albums.len(), 100);
    assert_eq!(albums[99]["position"], 100);
    assert!(albums[0]["cover_medium"].is_string() && albums[0]["artist"]["id"].is_string());
    for bad in ["0", "101", "x"] {
        expect_error(
            app.get(&format!("/api/charts/top/?limit={bad}"), Some(&token))
                .await,
            400,
        )
        .await;
    }
}

#[tokio::test]
async fn new_releases_are_newest_first() {
    let (app, token) = app_and_token().await;
    let releases = ok_json(&app, "/api/charts/new-releases/?limit=10", &token).await;
    let dates: Vec<&str> = releases["albums"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["release_date"].as_str().unwrap())
        .collect();
    assert_eq!(dates.len(), 10);
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    expect_error(
        app.get("/api/charts/new-releases/?limit=0", Some(&token))
            .await,
        400,
    )
    .await;
}
