//! The play queue over HTTP, with the bundled catalog (Daft Punk's Discovery: tracks
//! 3135553 to 3135566).

mod common;

use common::{expect_error, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const ONE_MORE_TIME: u64 = 3135553;
const AERODYNAMIC: u64 = 3135554;
const DIGITAL_LOVE: u64 = 3135555;
const HARDER_BETTER: u64 = 3135556;

async fn body(resp: reqwest::Response) -> Value {
    assert!(resp.status().is_success(), "status {}", resp.status());
    resp.json().await.unwrap()
}

#[tokio::test]
async fn a_new_users_queue_is_empty() {
    let app = spawn_app().await;
    let u = app.user("newbie").await;
    let queue = body(app.get("/api/playlists/queue/", Some(&u.access)).await).await;
    assert_eq!(queue["id"], u.id.as_str());
    assert_eq!(queue["track_count"], 0);
    assert!(queue["current_track_id"].is_null());
    assert_eq!(
        body(
            app.get("/api/playlists/queue/tracks/", Some(&u.access))
                .await
        )
        .await,
        json!([])
    );
    expect_error(
        app.get("/api/playlists/queue/current/", Some(&u.access))
            .await,
        404,
    )
    .await;
    let history = body(
        app.get("/api/playlists/queue/history/", Some(&u.access))
            .await,
    )
    .await;
    assert_eq!(history, json!({"history": [], "count": 0}));
}

#[tokio::test]
async fn enqueue_next_previous_position_and_history() {
    let app = spawn_app().await;
    let u = app.user("listener").await;
    let t = Some(u.access.as_str());
    for (i, id) in [ONE_MORE_TIME, AERODYNAMIC, DIGITAL_LOVE]
        .into_iter()
        .enumerate()
    {
        let added = body(
            app.post(
                "/api/playlists/queue/enqueue/",
                t,
                &json!({"track_id": id.to_string()}),
            )
            .await,
        )
        .await;
        assert_eq!(added["position"], i);
        assert_eq!(added["message"], "Track added to queue");
        assert_eq!(added["track_info"]["track_id"], id.to_string());
    }
    let next = body(app.post("/api/playlists/queue/next/", t, &json!({})).await).await;
    assert_eq!(next["position"], 0, "the first next starts the queue");
    assert_eq!(next["current_track"]["track_title"], "One More Time");
    assert_eq!(next["is_radio_mode"], false);
    let next = body(app.post("/api/playlists/queue/next/", t, &json!({})).await).await;
    assert_eq!(next["current_track"]["track_id"], AERODYNAMIC.to_string());

    let prev = body(
        app.post("/api/playlists/queue/previous/", t, &json!({}))
            .await,
    )
    .await;
    assert_eq!(prev["position"], 0);
    let prev = body(
        app.post("/api/playlists/queue/previous/", t, &json!({}))
            .await,
    )
    .await;
    assert_eq!(
        prev["position"], 0,
        "previous at the start stays on the first track"
    );

    let jumped = body(
        app.post("/api/playlists/queue/position/", t, &json!({"position": 2}))
            .await,
    )
    .await;
    assert_eq!(jumped["current_track"]["track_title"], "Digital Love");
    let err = expect_error(
        app.post("/api/playlists/queue/position/", t, &json!({"position": 3}))
            .await,
        400,
    )
    .await;
    assert_eq!(err["field"], "position");
    expect_error(
        app.post(
            "/api/playlists/queue/position/",
            t,
            &json!({"position": -1}),
        )
        .await,
        400,
    )
    .await;

    let current = body(app.get("/api/playlists/queue/current/", t).await).await;
    assert_eq!(current["track_id"], DIGITAL_LOVE.to_string());
    assert_eq!(current["position"], 2);
    assert_eq!(current["artist_name"], "Daft Punk");

    let history = body(app.get("/api/playlists/queue/history/?limit=2", t).await).await;
    assert_eq!(history["count"], 5);
    let titles: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["track_title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Digital Love", "One More Time"], "newest first");
    let page2 = body(
        app.get("/api/playlists/queue/history/?limit=2&offset=2", t)
            .await,
    )
    .await;
    assert_eq!(page2["history"][0]["track_title"], "One More Time");
    let past_the_end = body(
        app.get("/api/playlists/queue/history/?limit=2&offset=5", t)
            .await,
    )
    .await;
    assert_eq!(
        past_the_end,
        json!({"history": [], "count": 5}),
        "a page past the end still tells the total"
    );
    expect_error(
        app.get("/api/playlists/queue/history/?limit=0", t).await,
        400,
    )
    .await;
    expect_error(
        app.get("/api/playlists/queue/history/?limit=abc", t).await,
        400,
    )
    .await;
}

#[tokio::test]
async fn next_at_the_end_flows_into_radio_mode() {
    let app = spawn_app().await;
    let u = app.user("radiohead").await;
    let t = Some(u.access.as_str());
    body(
        app.post(
            "/api/playlists/queue/enqueue/",
            t,
            &json!({"track_id": ONE_MORE_TIME}),
        )
        .await,
    )
    .await;
    body(app.post("/api/playlists/queue/next/", t, &json!({})).await).await;
    let mut seen = vec![ONE_MORE_TIME.to_string()];
    for _ in 0..5 {
        let next = body(app.post("/api/playlists/queue/next/", t, &json!({})).await).await;
        assert_eq!(next["is_radio_mode"], true);
        seen.push(
            next["current_track"]["track_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let queue = body(app.get("/api/playlists/queue/", t).await).await;
    assert_eq!(queue["is_radio_mode"], true);
    assert!(queue["track_count"].as_i64().unwrap() > 1);
    let distinct: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(
        distinct.len(),
        seen.len(),
        "radio skips tracks heard in the last hour: {seen:?}"
    );
}

#[tokio::test]
async fn stream_plays_a_queued_track_or_inserts_it_next() {
    let app = spawn_app().await;
    let u = app.user("streamer").await;
    let t = Some(u.access.as_str());
    for id in [ONE_MORE_TIME, AERODYNAMIC] {
        body(
            app.post("/api/playlists/queue/enqueue/", t, &json!({"track_id": id}))
                .await,
        )
        .await;
    }
    body(app.post("/api/playlists/queue/next/", t, &json!({})).await).await;
    let queued = body(
        app.post(
            "/api/playlists/queue/stream/",
            t,
            &json!({"track_id": AERODYNAMIC}),
        )
        .await,
    )
    .await;
    assert_eq!(queued["in_queue"], true);
    assert_eq!(queued["position"], 1);
    assert_eq!(
        queued["stream_url"],
        format!("/api/catalogue/stream/{AERODYNAMIC}/")
    );
    let added = body(
        app.post(
            "/api/playlists/queue/stream/",
            t,
            &json!({"track_id": DIGITAL_LOVE}),
        )
        .await,
    )
    .await;
    assert_eq!(added["in_queue"], false);
    assert_eq!(added["position"], 2);
    assert_eq!(added["track_info"]["duration"], 301);

    // Back at the start, a new track goes in second and the rest move down one.
    body(
        app.post("/api/playlists/queue/position/", t, &json!({"position": 0}))
            .await,
    )
    .await;
    let inserted = body(
        app.post(
            "/api/playlists/queue/stream/",
            t,
            &json!({"track_id": HARDER_BETTER}),
        )
        .await,
    )
    .await;
    assert_eq!(inserted["position"], 1);
    let tracks = body(app.get("/api/playlists/queue/tracks/", t).await).await;
    let order: Vec<(String, i64)> = tracks
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let id = t["track_id"].as_str().unwrap().to_owned();
            (id, t["position"].as_i64().unwrap())
        })
        .collect();
    let expected = [ONE_MORE_TIME, HARDER_BETTER, AERODYNAMIC, DIGITAL_LOVE];
    let expected: Vec<(String, i64)> = (0..)
        .zip(expected)
        .map(|(p, id)| (id.to_string(), p))
        .collect();
    assert_eq!(order, expected);
}

#[tokio::test]
async fn patch_selects_by_track_or_position() {
    let app = spawn_app().await;
    let u = app.user("patcher").await;
    let t = Some(u.access.as_str());
    for id in [ONE_MORE_TIME, AERODYNAMIC, DIGITAL_LOVE] {
        body(
            app.post("/api/playlists/queue/enqueue/", t, &json!({"track_id": id}))
                .await,
        )
        .await;
    }
    let q = body(
        app.patch(
            "/api/playlists/queue/",
            t,
            &json!({"current_track_id": DIGITAL_LOVE.to_string()}),
        )
        .await,
    )
    .await;
    assert_eq!(q["current_position"], 2);
    let q = body(
        app.patch("/api/playlists/queue/", t, &json!({"current_position": 1}))
            .await,
    )
    .await;
    assert_eq!(q["current_track_id"], AERODYNAMIC.to_string());
    let err = expect_error(
        app.patch(
            "/api/playlists/queue/",
            t,
            &json!({"current_position": 0, "current_track_id": DIGITAL_LOVE}),
        )
        .await,
        400,
    )
    .await;
    assert_eq!(err["field"], "current_track_id");
}

#[tokio::test]
async fn shuffle_and_clear() {
    let app = spawn_app().await;
    let u = app.user("shuffler").await;
    let t = Some(u.access.as_str());
    for id in 3135553..=3135566u64 {
        body(
            app.post("/api/playlists/queue/enqueue/", t, &json!({"track_id": id}))
                .await,
        )
        .await;
    }
    body(app.post("/api/playlists/queue/next/", t, &json!({})).await).await;
    let shuffled = body(
        app.post("/api/playlists/queue/shuffle/", t, &json!({}))
            .await,
    )
    .await;
    assert_eq!(shuffled["track_count"], 14);
    let tracks = body(app.get("/api/playlists/queue/tracks/", t).await).await;
    let ids: Vec<u64> = tracks
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["track_id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ids[0], ONE_MORE_TIME, "the current track stays");
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(sorted, (3135553..=3135566).collect::<Vec<_>>());
    let positions: Vec<i64> = tracks
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert_eq!(positions, (0..14).collect::<Vec<_>>());

    let cleared = body(app.post("/api/playlists/queue/clear/", t, &json!({})).await).await;
    assert_eq!(cleared["message"], "Queue cleared");
    assert_eq!(
        body(app.get("/api/playlists/queue/", t).await).await["track_count"],
        0
    );
    expect_error(
        app.post("/api/playlists/queue/shuffle/", t, &json!({}))
            .await,
        400,
    )
    .await;
}

#[tokio::test]
async fn bad_track_ids_are_refused_before_anything_is_written() {
    let app = spawn_app().await;
    let u = app.user("careful").await;
    let t = Some(u.access.as_str());
    let err = expect_error(
        app.post(
            "/api/playlists/queue/enqueue/",
            t,
            &json!({"track_id": "0195c0de-0000-7000-8000-000000000000"}),
        )
        .await,
        400,
    )
    .await;
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("catalog (Deezer) id"),
        "{err}"
    );
    expect_error(
        app.post("/api/playlists/queue/enqueue/", t, &json!({"track_id": -5}))
            .await,
        400,
    )
    .await;
    expect_error(
        app.post("/api/playlists/queue/enqueue/", t, &json!({}))
            .await,
        400,
    )
    .await;
    expect_error(
        app.post(
            "/api/playlists/queue/enqueue/",
            t,
            &json!({"track_id": 999999999}),
        )
        .await,
        404,
    )
    .await;
    expect_error(
        app.post(
            "/api/playlists/queue/enqueue/",
            None,
            &json!({"track_id": ONE_MORE_TIME}),
        )
        .await,
        401,
    )
    .await;
    let events: i64 = sqlx::query_scalar("select count(*) from events")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(events, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_enqueues_are_all_kept_and_next_visits_every_one() {
    let app = std::sync::Arc::new(spawn_app().await);
    let u = app.user("crowd").await;
    let ids: Vec<u64> = (3135553..=3135566u64)
        .chain(3135553..=3135566u64)
        .chain(3135553..=3135556u64)
        .collect();
    assert_eq!(ids.len(), 32);
    let tasks: Vec<_> = ids
        .iter()
        .map(|&id| {
            let (app, token) = (app.clone(), u.access.clone());
            tokio::spawn(async move {
                let resp = app
                    .post(
                        "/api/playlists/queue/enqueue/",
                        Some(&token),
                        &json!({"track_id": id}),
                    )
                    .await;
                assert_eq!(resp.status(), StatusCode::OK);
                resp.json::<Value>().await.unwrap()["position"]
                    .as_i64()
                    .unwrap()
            })
        })
        .collect();
    let mut positions = Vec::new();
    for task in tasks {
        positions.push(task.await.unwrap());
    }
    positions.sort();
    assert_eq!(
        positions,
        (0..32).collect::<Vec<_>>(),
        "32 entries at distinct positions"
    );

    let t = Some(u.access.as_str());
    let mut visited = Vec::new();
    for _ in 0..32 {
        let next = body(app.post("/api/playlists/queue/next/", t, &json!({})).await).await;
        assert_eq!(next["is_radio_mode"], false);
        visited.push(next["position"].as_i64().unwrap());
    }
    assert_eq!(visited, (0..32).collect::<Vec<_>>());
}

#[tokio::test]
async fn play_recommendation_starts_radio_from_the_track() {
    let app = spawn_app().await;
    let u = app.user("deejay").await;
    let t = Some(u.access.as_str());
    let started = body(
        app.post(
            "/api/playlists/play-recommendation/",
            t,
            &json!({"track_id": DIGITAL_LOVE}),
        )
        .await,
    )
    .await;
    assert_eq!(
        started["message"],
        "Radio mode started with recommended track"
    );
    assert_eq!(
        started["current_track"]["track_id"],
        DIGITAL_LOVE.to_string()
    );
    assert!(started["queue_length"].as_i64().unwrap() > 1, "{started}");
    let queue = body(app.get("/api/playlists/queue/", t).await).await;
    assert_eq!(queue["is_radio_mode"], true);
    assert_eq!(queue["current_position"], 0);
    expect_error(
        app.post(
            "/api/playlists/play-recommendation/",
            t,
            &json!({"track_id": 123456789}),
        )
        .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn playing_a_playlist_from_a_position_with_shuffle() {
    let app = spawn_app().await;
    let owner = app.user("curator").await;
    let fan = app.user("fanatic").await;
    let private = app.playlist(&owner.access, "Mine", false).await;
    let public = app.playlist(&owner.access, "Ours", true).await;
    let ids: Vec<String> = (3135553..=3135566u64).map(|id| id.to_string()).collect();
    let added = app
        .post(
            &format!("/api/playlists/playlists/{public}/add_tracks/"),
            Some(&owner.access),
            &json!({"tracks": ids}),
        )
        .await;
    assert!(added.status().is_success());

    let t = Some(fan.access.as_str());
    let started = body(
        app.post(
            &format!("/api/playlists/playlists/{public}/play/"),
            t,
            &json!({"position": 3, "shuffle": true}),
        )
        .await,
    )
    .await;
    assert_eq!(started["message"], "Playlist added to queue");
    assert_eq!(
        started["queue_length"], 11,
        "the playlist from the 4th track on"
    );
    assert_eq!(
        started["current_track"]["track_id"], "3135556",
        "the chosen track plays first"
    );
    let queued = body(app.get("/api/playlists/queue/tracks/", t).await).await;
    let mut rest: Vec<u64> = queued.as_array().unwrap()[1..]
        .iter()
        .map(|e| e["track_id"].as_str().unwrap().parse().unwrap())
        .collect();
    rest.sort();
    assert_eq!(rest, (3135557..=3135566).collect::<Vec<_>>());

    let plain = body(
        app.post(
            &format!("/api/playlists/playlists/{public}/play/"),
            t,
            &json!({}),
        )
        .await,
    )
    .await;
    assert_eq!(plain["current_track"]["track_id"], "3135553");
    assert_eq!(plain["queue_length"], 14);

    expect_error(
        app.post(
            &format!("/api/playlists/playlists/{private}/play/"),
            t,
            &json!({}),
        )
        .await,
        404,
    )
    .await;
    expect_error(
        app.post(
            &format!("/api/playlists/playlists/{public}/play/"),
            t,
            &json!({"position": 14}),
        )
        .await,
        400,
    )
    .await;
    expect_error(
        app.post("/api/playlists/playlists/3135553/play/", t, &json!({}))
            .await,
        400,
    )
    .await;
    let empty = app.playlist(&fan.access, "Empty", false).await;
    expect_error(
        app.post(
            &format!("/api/playlists/playlists/{empty}/play/"),
            t,
            &json!({}),
        )
        .await,
        400,
    )
    .await;
}
