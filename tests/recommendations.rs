//! Recommendations over HTTP, with the bundled catalog: Daft Punk's Discovery (tracks
//! 3135553 to 3135566, genre Dance) and chart tracks by Adele and Naps.

mod common;

use std::collections::HashSet;

use common::{TestApp, User, expect_error, spawn_app};
use domain::CatalogId;
use projections::taste::{TasteProjection, top_artists};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

const RECOMMENDATIONS: &str = "/api/playlists/recommendations/";
const RECOMMENDED: &str = "/api/playlists/recommended/";
const DISCOVERY: std::ops::RangeInclusive<u64> = 3135553..=3135566;
const DAFT_PUNK: &str = "27";
const DANCE: u64 = 113;
const ADELE: i64 = 75798;
const ADELE_TRACK: u64 = 1522223672;
const NAPS: i64 = 4842061;
const NAPS_TRACKS: [u64; 2] = [1503613682, 1253711502];

async fn ok_json(resp: reqwest::Response) -> Value {
    let status = resp.status();
    let body: Value = resp.json().await.expect("JSON body");
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// Plays each track now, as a listener picking them one by one.
async fn play(app: &TestApp, user: &User, tracks: impl IntoIterator<Item = u64>) {
    for track in tracks {
        ok_json(
            app.post(
                "/api/playlists/queue/stream/",
                Some(&user.access),
                &json!({"track_id": track}),
            )
            .await,
        )
        .await;
    }
}

async fn recommend(app: &TestApp, user: &User, limit: usize) -> Vec<Value> {
    let path = format!("{RECOMMENDATIONS}?limit={limit}");
    let body = ok_json(app.get(&path, Some(&user.access)).await).await;
    body["recommendations"].as_array().unwrap().clone()
}

fn ids(tracks: &[Value]) -> Vec<String> {
    tracks
        .iter()
        .map(|t| t["track_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn genre_of(app: &TestApp, track: &str) -> Option<u64> {
    let track = app
        .state
        .catalog
        .track(track.parse::<CatalogId>().unwrap())
        .await
        .unwrap();
    let album = app.state.catalog.album(track.album.id).await.unwrap();
    album.genre_id.map(|g| g.get())
}

/// The user's favourite artists by id, strongest first.
async fn taste(app: &TestApp, user: &User) -> Vec<i64> {
    let user = Uuid::parse_str(&user.id).unwrap();
    top_artists(&app.state.pool, user, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.artist_id)
        .collect()
}

async fn assert_taste_rebuilds(app: &TestApp) {
    let verification = projections::verify::verify(&app.state.pool, &TasteProjection::default())
        .await
        .unwrap();
    assert!(verification.events > 0);
    assert!(verification.matches(), "{verification:?}");
}

#[tokio::test]
async fn a_new_user_gets_the_charts() {
    let app = spawn_app().await;
    let u = app.user("newcomer").await;
    let recommendations = recommend(&app, &u, 10).await;
    assert_eq!(ids(&recommendations), app.track_ids(&u.access, 10).await);
    let first = &recommendations[0];
    let keys: HashSet<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    let expected = [
        "track_id",
        "track_title",
        "artist_id",
        "artist_name",
        "album_title",
        "album_cover",
        "duration",
    ];
    assert_eq!(keys, HashSet::from(expected));
    assert!(first["duration"].as_u64().unwrap() > 0);
    assert!(first["artist_id"].is_string());

    let default = ok_json(app.get(RECOMMENDATIONS, Some(&u.access)).await).await;
    assert_eq!(default["recommendations"].as_array().unwrap().len(), 10);
    assert_eq!(recommend(&app, &u, 100).await.len(), 100);
}

#[tokio::test]
async fn the_limit_is_validated() {
    let app = spawn_app().await;
    let u = app.user("picky").await;
    for bad in ["0", "101", "-1", "ten", "1.5", ""] {
        let path = format!("{RECOMMENDATIONS}?limit={bad}");
        expect_error(app.get(&path, Some(&u.access)).await, 400).await;
    }
    assert_eq!(recommend(&app, &u, 1).await.len(), 1);
    expect_error(app.get(RECOMMENDATIONS, None).await, 401).await;
    expect_error(app.get(RECOMMENDED, None).await, 401).await;
}

#[tokio::test]
async fn plays_steer_recommendations_to_the_artist_and_leave_out_what_was_heard() {
    let app = spawn_app().await;
    let u = app.user("robot").await;
    let played: Vec<u64> = DISCOVERY.take(6).collect();
    play(&app, &u, played.clone()).await;
    let favorite = 3135562;
    ok_json(
        app.post(
            "/api/playlists/favorites/add/",
            Some(&u.access),
            &json!({"track_id": favorite}),
        )
        .await,
    )
    .await;

    let recommendations = recommend(&app, &u, 10).await;
    assert_eq!(recommendations.len(), 10);
    assert_eq!(
        recommendations[0]["artist_id"], DAFT_PUNK,
        "{recommendations:?}"
    );
    let by_daft_punk = recommendations
        .iter()
        .filter(|t| t["artist_id"] == DAFT_PUNK)
        .count();
    assert!(by_daft_punk >= 3, "{recommendations:?}");
    assert!(
        by_daft_punk < 10,
        "other artists get a share: {recommendations:?}"
    );
    // The bundled catalog relates no other artist to Daft Punk: the charts fill up.
    let others: Vec<String> = recommendations
        .iter()
        .filter(|t| t["artist_id"] != DAFT_PUNK)
        .map(|t| t["track_id"].as_str().unwrap().to_owned())
        .collect();
    let charts = app.track_ids(&u.access, 20).await;
    assert_eq!(others, charts[..others.len()]);

    let recommended = ids(&recommendations);
    let unique: HashSet<&String> = recommended.iter().collect();
    assert_eq!(unique.len(), recommended.len(), "each track once");
    for heard in played.iter().chain([&favorite]) {
        assert!(
            !recommended.contains(&heard.to_string()),
            "{heard} was just heard or is a favorite"
        );
    }
    assert_ne!(recommended, app.track_ids(&u.access, 10).await);
}

#[tokio::test]
async fn favorites_and_playlist_additions_shape_the_taste_and_removals_take_back() {
    let app = spawn_app().await;
    let u = app.user("curator").await;
    let token = Some(u.access.as_str());
    play(&app, &u, [3135553]).await;
    assert_eq!(taste(&app, &u).await, vec![27]);

    let favorites = "/api/playlists/favorites/";
    let resp = app
        .post(
            &format!("{favorites}add/"),
            token,
            &json!({"track_id": ADELE_TRACK}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(
        taste(&app, &u).await,
        vec![ADELE, 27],
        "a favorite outweighs a play"
    );

    let playlist = app.playlist(&u.access, "Mix", false).await;
    let add = format!("/api/playlists/playlists/{playlist}/add_tracks/");
    ok_json(app.post(&add, token, &json!({"tracks": NAPS_TRACKS})).await).await;
    assert_eq!(taste(&app, &u).await, vec![NAPS, ADELE, 27]);

    let remove = format!("{favorites}remove/?track_id={ADELE_TRACK}");
    assert!(app.delete(&remove, token).await.status().is_success());
    assert_eq!(
        taste(&app, &u).await,
        vec![NAPS, 27],
        "the favorite is taken back"
    );

    let remove = format!(
        "/api/playlists/playlists/{playlist}/remove_track/?track_id={}",
        NAPS_TRACKS[0]
    );
    assert!(app.delete(&remove, token).await.status().is_success());
    assert_eq!(
        taste(&app, &u).await,
        vec![NAPS, 27],
        "one addition is left"
    );

    let delete = format!("/api/playlists/playlists/{playlist}/");
    assert!(app.delete(&delete, token).await.status().is_success());
    assert_eq!(
        taste(&app, &u).await,
        vec![NAPS, 27],
        "deleting a playlist does not change the taste"
    );

    let top = recommend(&app, &u, 5).await;
    assert_eq!(top[0]["artist_id"], NAPS.to_string(), "{top:?}");
    assert_taste_rebuilds(&app).await;
}

#[tokio::test]
async fn a_new_user_gets_a_daily_mood_from_the_charts() {
    let app = spawn_app().await;
    let u = app.user("fresh").await;
    let list = ok_json(app.get(RECOMMENDED, Some(&u.access)).await).await;
    let playlists = list["playlists"].as_array().unwrap();
    assert_eq!(playlists.len(), 1, "{list}");
    let mood = &playlists[0];
    assert_eq!(mood["name"], "Your Daily Mood");
    assert_eq!(mood["genre_id"], 0);
    assert!(mood["key"].as_str().unwrap().starts_with("daily-mood-0-"));
    let tracks = mood["tracks"].as_array().unwrap();
    assert_eq!(mood["track_count"], tracks.len());
    assert!(!tracks.is_empty());
    let charts: HashSet<String> = app.track_ids(&u.access, 50).await.into_iter().collect();
    assert!(ids(tracks).iter().all(|t| charts.contains(t)));
}

#[tokio::test]
async fn daily_moods_follow_the_taste_hold_all_day_and_save_as_playlists() {
    let app = spawn_app().await;
    let u = app.user("dancer").await;
    let token = Some(u.access.as_str());
    play(&app, &u, DISCOVERY.take(3)).await;

    let list = ok_json(app.get(RECOMMENDED, token).await).await;
    assert_eq!(list, ok_json(app.get(RECOMMENDED, token).await).await);
    let mood = &list["playlists"][0];
    assert_eq!(mood["genre_id"], DANCE, "{list}");
    assert_eq!(mood["genre"], "Dance");
    assert_eq!(mood["name"], "Your Daily Mood: Dance");
    let key = mood["key"].as_str().unwrap();
    assert!(key.starts_with("daily-mood-113-"), "{key}");
    let tracks = ids(mood["tracks"].as_array().unwrap());
    assert_eq!(mood["track_count"], tracks.len());
    for track in &tracks {
        assert_eq!(genre_of(&app, track).await, Some(DANCE));
    }

    let twin = app.user("twin").await;
    play(&app, &twin, DISCOVERY.take(3)).await;
    let theirs = ok_json(app.get(RECOMMENDED, Some(&twin.access)).await).await;
    assert_eq!(theirs["playlists"][0]["key"], key);
    assert_ne!(
        theirs["playlists"][0]["tracks"], mood["tracks"],
        "each listener gets their own pick"
    );

    let resp = app
        .post(&format!("{RECOMMENDED}{key}/save/"), token, &json!({}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert!(resp.headers().contains_key("etag"));
    let saved = ok_json(resp).await;
    assert_eq!(saved["name"], "Your Daily Mood: Dance");
    assert_eq!(saved["is_public"], false);
    assert_eq!(saved["track_count"], tracks.len());

    let mine = ok_json(app.get("/api/playlists/playlists/?me=true", token).await).await;
    let listed = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == saved["id"])
        .expect("the saved playlist is the caller's");
    assert_eq!(listed["track_count"], tracks.len());
    let detail = ok_json(
        app.get(
            &format!(
                "/api/playlists/playlists/{}/",
                saved["id"].as_str().unwrap()
            ),
            token,
        )
        .await,
    )
    .await;
    assert_eq!(ids(detail["tracks"].as_array().unwrap()), tracks);
    assert_taste_rebuilds(&app).await;
}

#[tokio::test]
async fn saving_needs_one_of_todays_keys() {
    let app = spawn_app().await;
    let u = app.user("saver").await;
    let token = Some(u.access.as_str());
    play(&app, &u, DISCOVERY.take(2)).await;
    let list = ok_json(app.get(RECOMMENDED, token).await).await;
    let key = list["playlists"][0]["key"].as_str().unwrap();
    let today = key.rsplit('-').next().unwrap();
    let save = |key: String| format!("{RECOMMENDED}{key}/save/");

    for malformed in [
        "nonsense",
        "daily-mood-x-20261126",
        "daily-mood-113-2026-11-26",
    ] {
        let body = expect_error(
            app.post(&save(malformed.into()), token, &json!({})).await,
            400,
        )
        .await;
        assert_eq!(body["field"], "key");
    }
    for unknown in [
        "daily-mood-113-20200101".to_owned(),
        format!("daily-mood-152-{today}"),
        format!("daily-mood-999999-{today}"),
    ] {
        expect_error(app.post(&save(unknown), token, &json!({})).await, 404).await;
    }
    let stranger = app.user("stranger").await;
    let resp = app
        .post(&save(key.to_owned()), Some(&stranger.access), &json!({}))
        .await;
    expect_error(resp, 404).await;
    let mine = ok_json(app.get("/api/playlists/playlists/?me=true", token).await).await;
    assert_eq!(mine, json!([]), "nothing was saved");
}
