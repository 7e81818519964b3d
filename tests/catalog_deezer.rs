//! The Deezer adapter against a local server serving recorded Deezer responses, through
//! the HTTP API, with injected faults: none of them may turn into a 500.

mod common;

use std::time::{Duration, Instant};

use common::{
    TestApp, expect_error,
    fake_deezer::{FakeDeezer, Fault, refused_base},
    spawn_app_with_deezer,
};
use domain::CatalogId;
use playpod::catalog::{
    Catalog,
    deezer::{DeezerCatalog, DeezerConfig},
};
use serde_json::Value;

async fn setup(extra: &[(&str, &str)]) -> (FakeDeezer, TestApp, String) {
    let fake = FakeDeezer::start().await;
    let app = spawn_app_with_deezer(&fake.base, extra).await;
    let token = app.user("listener").await.access;
    (fake, app, token)
}

async fn ok_json(app: &TestApp, path: &str, token: &str) -> Value {
    let resp = app.get(path, Some(token)).await;
    assert_eq!(resp.status().as_u16(), 200, "GET {path}");
    resp.json().await.unwrap()
}

fn len(value: &Value) -> usize {
    value.as_array().unwrap().len()
}

fn retry_after(resp: &reqwest::Response) -> u64 {
    resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn catalogue_endpoints_answer_from_deezer() {
    let (fake, app, token) = setup(&[]).await;

    let found = ok_json(&app, "/api/catalogue/search/?q=Daft%20Punk&limit=3", &token).await;
    assert_eq!(found["artists"][0]["name"], "Daft Punk");
    assert_eq!(found["artists"][0]["id"], "27");
    assert_eq!(len(&found["albums"]), 3);
    let soliloquy = ok_json(&app, "/api/catalogue/search/?q=Soliloquy", &token).await;
    assert_eq!(len(&soliloquy["tracks"]), 10);
    assert!(
        fake.log()
            .iter()
            .any(|r| r.starts_with("search?") && r.contains("limit=10"))
    );

    let artist = ok_json(&app, "/api/catalogue/artists/27/", &token).await;
    assert_eq!(artist["artist"]["nb_album"], 32);
    assert_eq!(len(&artist["albums"]), 25);
    assert!(
        artist["albums"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["artist"]["id"] == "27")
    );
    assert_eq!(len(&artist["top_tracks"]), 5);

    let album = ok_json(&app, "/api/catalogue/albums/302127/", &token).await;
    assert_eq!(album["album"]["title"], "Discovery");
    assert_eq!(len(&album["tracks"]), 14);
    assert_eq!(album["tracks"][0]["album"]["title"], "Discovery");

    let track = ok_json(&app, "/api/catalogue/tracks/3135556/", &token).await;
    assert_eq!(track["track"]["title"], "Harder Better Faster Stronger");
    let preview = track["track"]["preview"].as_str().unwrap();
    assert!(
        preview.starts_with(&format!("{}/cdn/", fake.base)),
        "{preview}"
    );
    assert_eq!(len(&track["related_tracks"]), 10);
    assert!(
        track["related_tracks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != "3135556")
    );
}

#[tokio::test]
async fn genre_and_chart_endpoints_answer_from_deezer() {
    let (_fake, app, token) = setup(&[]).await;
    let genres = ok_json(&app, "/api/catalogue/genres/", &token).await;
    assert_eq!(len(&genres), 23);
    assert_eq!(genres[0]["name"], "All");
    let electro = ok_json(&app, "/api/charts/genre/106/?limit=5", &token).await;
    assert_eq!(electro["genre"]["name"], "Electro");
    assert_eq!(len(&electro["tracks"]), 5);
    let top = ok_json(&app, "/api/charts/top/", &token).await;
    assert_eq!(top["tracks"][0]["title"], "LA FAMA");
    assert_eq!(top["tracks"][0]["position"], 1);
    let albums = ok_json(&app, "/api/charts/top-albums/?limit=4", &token).await;
    assert_eq!(len(&albums["albums"]), 4);
    assert_eq!(albums["albums"][3]["position"], 4);
    let releases = ok_json(&app, "/api/charts/new-releases/", &token).await;
    assert_eq!(len(&releases["albums"]), 19);
}

#[tokio::test]
async fn answers_are_cached_and_shared_across_limits() {
    let (fake, app, token) = setup(&[]).await;
    for _ in 0..3 {
        ok_json(&app, "/api/catalogue/tracks/3135556/", &token).await;
    }
    assert_eq!(fake.hits("track/3135556"), 1);
    for limit in [3, 5, 20] {
        ok_json(&app, &format!("/api/charts/top/?limit={limit}"), &token).await;
    }
    assert_eq!(fake.hits("chart/0/tracks"), 1);
    ok_json(&app, "/api/catalogue/search/?q=daft%20punk", &token).await;
    ok_json(&app, "/api/catalogue/search/?q=Daft%20%20Punk", &token).await;
    assert_eq!(fake.hits("search/artist"), 1);
}

#[tokio::test]
async fn concurrent_misses_make_one_upstream_request() {
    let (fake, app, token) = setup(&[]).await;
    fake.fail("album/302127", Fault::Delay(Duration::from_millis(300)), 1);
    let requests = (0..8).map(|_| app.get("/api/catalogue/albums/302127/", Some(&token)));
    for resp in futures::future::join_all(requests).await {
        assert_eq!(resp.status().as_u16(), 200);
    }
    assert_eq!(fake.hits("album/302127"), 1);
    assert_eq!(fake.hits("album/302127/tracks"), 1);
}

#[tokio::test]
async fn no_data_is_a_404_and_is_cached_too() {
    let (fake, app, token) = setup(&[]).await;
    for _ in 0..2 {
        let body = expect_error(
            app.get("/api/catalogue/tracks/42/", Some(&token)).await,
            404,
        )
        .await;
        assert!(body["message"].as_str().unwrap().contains("track"));
    }
    assert_eq!(fake.hits("track/42"), 1);
    expect_error(
        app.get("/api/catalogue/artists/42/", Some(&token)).await,
        404,
    )
    .await;
    expect_error(app.get("/api/charts/genre/4242/", Some(&token)).await, 404).await;
}

#[tokio::test]
async fn upstream_errors_are_502_without_their_detail() {
    let (fake, app, token) = setup(&[]).await;
    fake.fail_always("track/3135556", Fault::Status(500));
    fake.fail_always("album/302127", Fault::Malformed);
    fake.fail_always("artist/27", Fault::DeezerError(300));
    fake.fail_always("genre", Fault::Status(404));
    for path in [
        "/api/catalogue/tracks/3135556/",
        "/api/catalogue/albums/302127/",
        "/api/catalogue/artists/27/",
    ] {
        let body = expect_error(app.get(path, Some(&token)).await, 502).await;
        assert_eq!(body["error"], "upstream_error");
        assert!(!body["message"].as_str().unwrap().contains("injected"));
    }
    // Deezer's 404 without an error object means "no data": an empty genre list.
    let genres = ok_json(&app, "/api/catalogue/genres/", &token).await;
    assert_eq!(len(&genres), 0);
}

#[tokio::test]
async fn quota_and_busy_answers_are_retried() {
    let (fake, app, token) = setup(&[]).await;
    fake.fail("genre", Fault::DeezerError(4), 1);
    fake.fail("genre", Fault::DeezerError(700), 1);
    let genres = ok_json(&app, "/api/catalogue/genres/", &token).await;
    assert_eq!(len(&genres), 23);
    assert_eq!(fake.hits("genre"), 3);
    fake.fail("chart/0/tracks", Fault::Status(503), 1);
    fake.fail("chart/0/albums", Fault::Status(429), 1);
    ok_json(&app, "/api/charts/top/", &token).await;
    ok_json(&app, "/api/charts/top-albums/", &token).await;
}

#[tokio::test]
async fn persistent_throttling_is_a_503_with_retry_after() {
    let (fake, app, token) = setup(&[]).await;
    fake.fail_always("genre", Fault::DeezerError(4));
    let resp = app.get("/api/catalogue/genres/", Some(&token)).await;
    assert!(retry_after(&resp) >= 1);
    let body = expect_error(resp, 503).await;
    assert_eq!(body["error"], "unavailable");
    assert_eq!(fake.hits("genre"), 3, "one request and two retries");
}

#[tokio::test]
async fn a_slow_upstream_times_out_as_a_503() {
    let (fake, app, token) = setup(&[("PLAYPOD_DEEZER_TIMEOUT_MS", "300")]).await;
    fake.fail_always("track/3135556", Fault::Delay(Duration::from_secs(10)));
    let started = Instant::now();
    let resp = app
        .get("/api/catalogue/tracks/3135556/", Some(&token))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "not cut by the timeout"
    );
    assert!(retry_after(&resp) >= 1);
    expect_error(resp, 503).await;
}

#[tokio::test]
async fn an_unreachable_deezer_is_a_503() {
    let app = spawn_app_with_deezer(&refused_base().await, &[]).await;
    let token = app.user("listener").await.access;
    for path in [
        "/api/catalogue/tracks/3135556/",
        "/api/catalogue/search/?q=daft",
        "/api/catalogue/genres/",
        "/api/charts/top/",
    ] {
        let resp = app.get(path, Some(&token)).await;
        assert!(retry_after(&resp) >= 1);
        expect_error(resp, 503).await;
    }
}

#[tokio::test]
async fn callers_over_the_rate_limit_get_a_503_with_retry_after() {
    let (fake, app, token) = setup(&[("PLAYPOD_DEEZER_RATE_LIMIT", "1")]).await;
    ok_json(&app, "/api/catalogue/genres/", &token).await;
    // Cached answers need no upstream request, so they still work.
    ok_json(&app, "/api/catalogue/genres/", &token).await;
    let resp = app.get("/api/charts/top/", Some(&token)).await;
    assert!(retry_after(&resp) >= 1);
    expect_error(resp, 503).await;
    assert_eq!(
        fake.hits("chart/0/tracks"),
        0,
        "refused before reaching Deezer"
    );
}

fn config(fake: &FakeDeezer) -> DeezerConfig {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = DeezerConfig::new(fake.base.clone());
    config.timeout = Duration::from_secs(1);
    config
}

fn id(raw: u64) -> CatalogId {
    CatalogId::new(raw).unwrap()
}

#[tokio::test]
async fn a_stale_copy_stands_in_for_a_failing_upstream() {
    let fake = FakeDeezer::start().await;
    let mut config = config(&fake);
    config.ttl.entities = Duration::from_millis(50);
    let catalog = DeezerCatalog::new(config);
    let fresh = catalog.track(id(3135556)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    fake.fail_always("track/3135556", Fault::Status(502));
    assert_eq!(catalog.track(id(3135556)).await.unwrap(), fresh);
    assert_eq!(
        fake.hits("track/3135556"),
        2,
        "the expired entry was asked for again"
    );
    assert!(
        catalog.album(id(302127)).await.is_ok(),
        "other keys are unaffected"
    );
}

#[tokio::test]
async fn without_a_stale_copy_the_failure_shows() {
    let fake = FakeDeezer::start().await;
    let catalog = DeezerCatalog::new(config(&fake));
    fake.fail("track/3135556", Fault::Status(500), 1);
    assert!(catalog.track(id(3135556)).await.is_err());
    assert!(
        catalog.track(id(3135556)).await.is_ok(),
        "errors are not cached"
    );
}
