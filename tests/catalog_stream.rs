//! `GET /api/catalogue/stream/{id}/`: generated previews from the bundled catalog, and
//! Deezer previews proxied from a local CDN stand-in, whole, by range, renewed when
//! expired or refused, and as JSON.

mod common;

use common::{
    TestApp, expect_error,
    fake_deezer::{AUDIO_LEN, FakeDeezer, Fault, audio_byte, refused_base, unix_now},
    spawn_app, spawn_app_with_deezer,
};
use reqwest::Response;
use serde_json::{Value, json};

/// Length of the bundled catalog's generated WAV previews.
const WAV_LEN: usize = 480_044;
const TRACK: &str = "/api/catalogue/stream/3135556/";

async fn stream(app: &TestApp, path: &str, token: &str, range: Option<&str>) -> Response {
    let mut req = app.client.get(app.url(path)).bearer_auth(token);
    if let Some(range) = range {
        req = req.header("range", range);
    }
    req.send().await.unwrap()
}

fn header<'a>(resp: &'a Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

async fn bytes(resp: Response) -> Vec<u8> {
    resp.bytes().await.unwrap().to_vec()
}

async fn bundled() -> (TestApp, String) {
    let app = spawn_app().await;
    let token = app.user("listener").await.access;
    (app, token)
}

#[tokio::test]
async fn the_bundled_catalog_plays_a_generated_wav() {
    let (app, token) = bundled().await;
    let resp = stream(&app, TRACK, &token, None).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(header(&resp, "content-type"), "audio/wav");
    assert_eq!(header(&resp, "accept-ranges"), "bytes");
    assert_eq!(header(&resp, "content-length"), WAV_LEN.to_string());
    let wav = bytes(resp).await;
    assert_eq!(wav.len(), WAV_LEN);
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    let again = bytes(stream(&app, TRACK, &token, None).await).await;
    assert_eq!(wav, again, "deterministic");
    let other = bytes(stream(&app, "/api/catalogue/stream/3135553/", &token, None).await).await;
    assert_ne!(wav, other, "one melody per track");
}

#[tokio::test]
async fn bundled_previews_seek_by_range() {
    let (app, token) = bundled().await;
    let whole = bytes(stream(&app, TRACK, &token, None).await).await;
    for (range, start, end) in [
        ("bytes=0-99", 0, 99),
        ("bytes=200000-265535", 200_000, 265_535),
        ("bytes=480000-", 480_000, WAV_LEN - 1),
        ("bytes=-44", WAV_LEN - 44, WAV_LEN - 1),
        ("bytes=480000-999999999", 480_000, WAV_LEN - 1),
    ] {
        let resp = stream(&app, TRACK, &token, Some(range)).await;
        assert_eq!(resp.status().as_u16(), 206, "{range}");
        assert_eq!(
            header(&resp, "content-range"),
            format!("bytes {start}-{end}/{WAV_LEN}")
        );
        assert_eq!(
            header(&resp, "content-length"),
            (end - start + 1).to_string()
        );
        assert_eq!(bytes(resp).await, whole[start..=end], "{range}");
    }
    // A header the server may ignore: the whole file.
    let resp = stream(&app, TRACK, &token, Some("bytes=0-1,5-6")).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(bytes(resp).await.len(), WAV_LEN);
}

#[tokio::test]
async fn a_range_past_the_end_is_a_416() {
    let (app, token) = bundled().await;
    let resp = stream(&app, TRACK, &token, Some(&format!("bytes={WAV_LEN}-"))).await;
    assert_eq!(header(&resp, "content-range"), format!("bytes */{WAV_LEN}"));
    let body = expect_error(resp, 416).await;
    assert_eq!(body["error"], "range_not_satisfiable");
}

#[tokio::test]
async fn the_json_form_gives_the_preview_url() {
    let (app, token) = bundled().await;
    let expected = json!({"preview_url": "/api/catalogue/stream/3135556/"});
    let by_query = app.get(&format!("{TRACK}?format=json"), Some(&token)).await;
    assert_eq!(by_query.status().as_u16(), 200);
    assert_eq!(by_query.json::<Value>().await.unwrap(), expected);
    let by_accept = app
        .client
        .get(app.url(TRACK))
        .bearer_auth(&token)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(by_accept.json::<Value>().await.unwrap(), expected);
    let audio = app
        .get(&format!("{TRACK}?format=audio"), Some(&token))
        .await;
    assert_eq!(header(&audio, "content-type"), "audio/wav");
}

#[tokio::test]
async fn bad_stream_requests_are_json_errors() {
    let (app, token) = bundled().await;
    expect_error(app.get(TRACK, None).await, 401).await;
    expect_error(
        app.get(&format!("{TRACK}?format=flac"), Some(&token)).await,
        400,
    )
    .await;
    let uuid = expect_error(
        app.get(
            "/api/catalogue/stream/0195c0de-0000-7000-8000-000000000000/",
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
            .contains("catalog (Deezer) id")
    );
    expect_error(
        app.get("/api/catalogue/stream/-3/", Some(&token)).await,
        400,
    )
    .await;
    expect_error(
        app.get("/api/catalogue/stream/9999999999/", Some(&token))
            .await,
        404,
    )
    .await;
    expect_error(
        app.get(
            "/api/catalogue/stream/9999999999/?format=json",
            Some(&token),
        )
        .await,
        404,
    )
    .await;
}

async fn deezer() -> (FakeDeezer, TestApp, String) {
    let fake = FakeDeezer::start().await;
    let app = spawn_app_with_deezer(&fake.base, &[]).await;
    let token = app.user("listener").await.access;
    (fake, app, token)
}

fn fake_audio(start: usize, end: usize) -> Vec<u8> {
    (start..=end).map(audio_byte).collect()
}

#[tokio::test]
async fn deezer_previews_are_proxied_whole_and_by_range() {
    let (fake, app, token) = deezer().await;
    let resp = stream(&app, TRACK, &token, None).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(header(&resp, "content-type"), "audio/mpeg");
    assert_eq!(header(&resp, "accept-ranges"), "bytes");
    assert_eq!(header(&resp, "content-length"), AUDIO_LEN.to_string());
    assert_eq!(bytes(resp).await, fake_audio(0, AUDIO_LEN - 1));

    let resp = stream(&app, TRACK, &token, Some("bytes=1000-1999")).await;
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(
        header(&resp, "content-range"),
        format!("bytes 1000-1999/{AUDIO_LEN}")
    );
    assert_eq!(bytes(resp).await, fake_audio(1000, 1999));

    let resp = stream(&app, TRACK, &token, Some(&format!("bytes={AUDIO_LEN}-"))).await;
    assert_eq!(
        header(&resp, "content-range"),
        format!("bytes */{AUDIO_LEN}")
    );
    expect_error(resp, 416).await;
    assert_eq!(
        fake.hits("track/3135556"),
        1,
        "the track came from the cache"
    );
    assert_eq!(fake.hits("cdn"), 3);
}

#[tokio::test]
async fn an_expired_preview_url_is_renewed_before_use() {
    let (fake, app, token) = deezer().await;
    let now = unix_now();
    fake.sign_previews(&[now - 60, now + 3600]);
    let resp = stream(&app, TRACK, &token, Some("bytes=0-9")).await;
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(bytes(resp).await, fake_audio(0, 9));
    assert_eq!(
        fake.hits("track/3135556"),
        2,
        "fetched again for a fresh URL"
    );
    assert_eq!(fake.hits("cdn"), 1, "the expired URL was never tried");

    let link: Value = app
        .get(&format!("{TRACK}?format=json"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    let url = link["preview_url"].as_str().unwrap();
    assert!(url.contains(&format!("exp={}", now + 3600)), "{url}");
}

#[tokio::test]
async fn a_refused_preview_url_is_renewed_and_retried_once() {
    let (fake, app, token) = deezer().await;
    fake.fail("cdn", Fault::Status(403), 1);
    let resp = stream(&app, TRACK, &token, None).await;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(bytes(resp).await.len(), AUDIO_LEN);
    assert_eq!(fake.hits("track/3135556"), 2);
    assert_eq!(fake.hits("cdn"), 2);

    fake.fail_always("cdn", Fault::Status(410));
    let body = expect_error(stream(&app, TRACK, &token, None).await, 502).await;
    assert_eq!(
        body["fallback"], false,
        "a URL refused twice is no fallback"
    );
    assert_eq!(body["preview_url"], Value::Null);
}

#[tokio::test]
async fn a_failing_cdn_is_a_502_with_the_url_as_fallback() {
    let (fake, app, token) = deezer().await;
    fake.fail_always("cdn", Fault::Status(500));
    let body = expect_error(stream(&app, TRACK, &token, None).await, 502).await;
    assert_eq!(body["error"], "upstream_error");
    assert_eq!(body["fallback"], true);
    let url = body["preview_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/cdn/", fake.base)), "{url}");
    assert!(body["message"].as_str().unwrap().contains("preview_url"));
}

#[tokio::test]
async fn a_slow_cdn_is_a_503_with_the_url_as_fallback() {
    let fake = FakeDeezer::start().await;
    let app = spawn_app_with_deezer(&fake.base, &[("PLAYPOD_DEEZER_TIMEOUT_MS", "300")]).await;
    let token = app.user("listener").await.access;
    fake.fail_always("cdn", Fault::Delay(std::time::Duration::from_secs(10)));
    let resp = stream(&app, TRACK, &token, None).await;
    assert!(resp.headers().contains_key("retry-after"));
    let body = expect_error(resp, 503).await;
    assert_eq!(body["fallback"], true);
}

/// Caches the track with a preview URL signed to expire at `exp`, then breaks the API.
async fn deezer_down_with_preview_expiring_at(exp: u64) -> (FakeDeezer, TestApp, String) {
    let (fake, app, token) = deezer().await;
    fake.sign_previews(&[exp]);
    let ok = app
        .get("/api/catalogue/tracks/3135556/", Some(&token))
        .await;
    assert_eq!(ok.status().as_u16(), 200);
    fake.fail_always("track/3135556", Fault::Status(500));
    (fake, app, token)
}

#[tokio::test]
async fn a_url_about_to_expire_is_the_fallback_when_no_fresh_one_can_be_had() {
    let (fake, app, token) = deezer_down_with_preview_expiring_at(unix_now() + 10).await;
    let resp = app.get(&format!("{TRACK}?format=json"), Some(&token)).await;
    assert!(resp.headers().contains_key("retry-after"));
    let body = expect_error(resp, 503).await;
    assert_eq!(body["error"], "unavailable");
    assert_eq!(body["fallback"], true);
    assert!(body["preview_url"].as_str().unwrap().contains("hdnea=exp="));
    let audio = expect_error(stream(&app, TRACK, &token, None).await, 503).await;
    assert_eq!(audio["fallback"], true);
    assert_eq!(fake.hits("cdn"), 0);
}

#[tokio::test]
async fn an_expired_url_is_no_fallback() {
    let (_fake, app, token) = deezer_down_with_preview_expiring_at(unix_now() - 60).await;
    let body = expect_error(
        app.get(&format!("{TRACK}?format=json"), Some(&token)).await,
        503,
    )
    .await;
    assert_eq!(body["fallback"], false);
    assert_eq!(body["preview_url"], Value::Null);
}

#[tokio::test]
async fn an_unreachable_deezer_leaves_no_fallback() {
    let app = spawn_app_with_deezer(&refused_base().await, &[]).await;
    let token = app.user("listener").await.access;
    for path in [TRACK.to_owned(), format!("{TRACK}?format=json")] {
        let body = expect_error(app.get(&path, Some(&token)).await, 503).await;
        assert_eq!(body["fallback"], false);
        assert_eq!(body["preview_url"], Value::Null);
    }
}

#[tokio::test]
async fn a_track_without_a_preview_is_a_404() {
    let (fake, app, token) = deezer().await;
    let recorded: Value =
        serde_json::from_str(include_str!("fixtures/deezer/track/3135556.json")).unwrap();
    let mut silent = recorded.clone();
    silent["preview"] = json!("");
    fake.fail("track/3135556", Fault::Body(silent), 1);
    let body = expect_error(stream(&app, TRACK, &token, None).await, 404).await;
    assert!(body["message"].as_str().unwrap().contains("preview"));
}

#[tokio::test]
async fn an_audio_element_can_pass_the_token_in_the_query() {
    let (app, token) = bundled().await;
    let resp = app
        .client
        .get(app.url(&format!("{TRACK}?access_token={token}")))
        .header("range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(bytes(resp).await.len(), 100);
    let resp = app.get(&format!("{TRACK}?access_token=forged"), None).await;
    assert_eq!(resp.status().as_u16(), 401);
}
