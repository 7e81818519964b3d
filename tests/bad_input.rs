//! Hostile and odd input across resources: every refusal is a 4xx JSON error, what is
//! accepted comes back byte for byte, and nothing refused leaves an event behind.

mod common;

use common::{expect_error, spawn_app};
use serde_json::{Value, json};

async fn events(app: &common::TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from events")
        .fetch_one(&app.state.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn metacharacters_and_unicode_are_data_not_code() {
    let app = spawn_app().await;
    let u = app.user("mallet").await;
    let t = Some(u.access.as_str());
    for name in [
        "'; drop table events; --",
        "<script>alert(1)</script>",
        "Robert\u{200b}'); -- \u{202e}gnp.exe",
        "e\u{301}\u{301}\u{301} combining",
        "🎵🎶 \u{1F3F3}\u{FE0F}\u{200D}\u{1F308}",
        "مرحبا بالعالم",
    ] {
        let resp = app
            .post(
                "/api/playlists/playlists/",
                t,
                &json!({"name": name, "description": name}),
            )
            .await;
        assert_eq!(resp.status().as_u16(), 201, "{name}");
        let id = resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let back: Value = app
            .get(&format!("/api/playlists/playlists/{id}/"), t)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(back["name"], name);
        assert_eq!(back["description"], name);
    }
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.tables where table_name = 'events'",
    )
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(tables, 1);
}

#[tokio::test]
async fn refused_input_is_a_json_4xx_and_writes_nothing() {
    let app = spawn_app().await;
    let u = app.user("refused").await;
    let t = Some(u.access.as_str());
    let playlist = app.playlist(&u.access, "Target", false).await;
    let before = events(&app).await;

    let cases: Vec<(&str, String, Value)> = vec![
        (
            "POST",
            "/api/playlists/playlists/".into(),
            json!({"name": "   "}),
        ),
        (
            "POST",
            "/api/playlists/playlists/".into(),
            json!({"name": "nul\u{0}byte"}),
        ),
        (
            "POST",
            "/api/playlists/playlists/".into(),
            json!({"name": "x".repeat(10_000)}),
        ),
        (
            "POST",
            "/api/playlists/playlists/".into(),
            json!(["not", "an", "object"]),
        ),
        (
            "POST",
            format!("/api/playlists/playlists/{playlist}/add_track/"),
            json!({"track_id": "1e3"}),
        ),
        (
            "POST",
            format!("/api/playlists/playlists/{playlist}/add_track/"),
            json!({"track_id": 99999999999999999999u128.to_string()}),
        ),
        (
            "POST",
            format!("/api/playlists/playlists/{playlist}/add_track/"),
            json!({"track_id": playlist}),
        ),
        (
            "POST",
            "/api/playlists/queue/position/".into(),
            json!({"position": i64::MAX}),
        ),
        (
            "POST",
            "/api/playlists/queue/position/".into(),
            json!({"position": "0"}),
        ),
        (
            "POST",
            "/api/playlists/queue/enqueue/".into(),
            json!({"track_id": [3135553]}),
        ),
        (
            "POST",
            "/api/playlists/favorites/add/".into(),
            json!({"track_id": -3135553}),
        ),
        (
            "PATCH",
            "/api/accounts/profile/".into(),
            json!({"bio": "x".repeat(1001)}),
        ),
    ];
    for (method, path, body) in cases {
        let resp = app
            .send_json(method.parse().unwrap(), &path, t, &body)
            .await;
        let status = resp.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{method} {path} {body}: {status}"
        );
        expect_error(resp, status).await;
    }
    for query in [
        "/api/playlists/playlists/?limit=-1",
        "/api/playlists/playlists/?limit=99999999999999999999",
        "/api/playlists/queue/history/?offset=-5",
        "/api/catalogue/search/?q=x&limit=0",
        "/api/catalogue/tracks/0195c0de-0000-7000-8000-000000000000/",
        "/api/playlists/playlists/3135553/",
    ] {
        let resp = app.get(query, t).await;
        assert_eq!(resp.status().as_u16(), 400, "{query}");
        expect_error(resp, 400).await;
    }
    assert_eq!(events(&app).await, before, "nothing refused was written");
}
