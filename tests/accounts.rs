mod common;

use common::{expect_error, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn register_login_profile_refresh_flow() {
    let app = spawn_app().await;
    let resp = app
        .post("/api/accounts/register/", None, &json!({"username": "ada", "email": "Ada@Example.com", "password": "analytical engine"}))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let registered: Value = resp.json().await.unwrap();
    assert_eq!(registered["username"], "ada");
    assert_eq!(registered["email"], "ada@example.com");
    assert!(
        registered["id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );

    let tokens: Value = app
        .post(
            "/api/accounts/token/",
            None,
            &json!({"email": "ada@example.com", "password": "analytical engine"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let access = tokens["access"].as_str().unwrap();
    let refresh = tokens["refresh"].as_str().unwrap();

    let profile: Value = app
        .get("/api/accounts/profile/", Some(access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["username"], "ada");
    assert_eq!(profile["bio"], "");
    assert!(profile["avatar"].is_null());

    let updated: Value = app
        .patch(
            "/api/accounts/profile/",
            Some(access),
            &json!({"bio": "First programmer 🎵"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(updated["bio"], "First programmer 🎵");

    let resp = app
        .post(
            "/api/accounts/token/refresh/",
            None,
            &json!({"refresh": refresh}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let rotated: Value = resp.json().await.unwrap();
    assert_ne!(
        rotated["refresh"], tokens["refresh"],
        "refresh tokens rotate"
    );
    let resp = app
        .get(
            "/api/accounts/profile",
            Some(rotated["access"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "paths work without the trailing slash too"
    );
}

#[tokio::test]
async fn registration_is_validated_and_duplicates_name_the_field() {
    let app = spawn_app().await;
    app.user("grace").await;
    let cases = [
        (
            json!({"username": "gr", "email": "g2@example.com", "password": "long enough"}),
            "username",
        ),
        (
            json!({"username": "grace2", "email": "not-an-email", "password": "long enough"}),
            "email",
        ),
        (
            json!({"username": "grace2", "email": "g2@example.com", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "grace2", "email": "g2@example.com", "password": "GRACE2"}),
            "password",
        ),
        (
            json!({"username": "GRACE", "email": "g2@example.com", "password": "long enough"}),
            "username",
        ),
        (
            json!({"username": "grace2", "email": "GRACE@example.com", "password": "long enough"}),
            "email",
        ),
    ];
    for (body, field) in cases {
        let err = expect_error(app.post("/api/accounts/register/", None, &body).await, 400).await;
        assert_eq!(err["field"], field, "{body}");
    }
}

#[tokio::test]
async fn malformed_requests_get_json_errors() {
    let app = spawn_app().await;
    let resp = app
        .client
        .post(app.url("/api/accounts/register/"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    expect_error(resp, 400).await;

    let resp = app
        .client
        .post(app.url("/api/accounts/register/"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    expect_error(resp, 415).await;

    let resp = app
        .post(
            "/api/accounts/register/",
            None,
            &json!({"username": 5, "email": [], "password": null}),
        )
        .await;
    expect_error(resp, 400).await;

    expect_error(app.get("/api/no/such/route/", None).await, 404).await;
    let wrong_method = app.delete("/api/accounts/register/", None).await;
    assert_eq!(wrong_method.headers()["allow"], "POST, OPTIONS");
    expect_error(wrong_method, 405).await;

    let huge = "x".repeat(6 * 1024 * 1024);
    let resp = app
        .client
        .post(app.url("/api/accounts/register/"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    expect_error(resp, 413).await;
}

#[tokio::test]
async fn login_takes_the_email_as_registered_and_refuses_what_cannot_be_one() {
    let app = spawn_app().await;
    let user = app.user("grace").await;
    let shouted = format!("  {}  ", user.email.to_uppercase());
    let resp = app
        .post(
            "/api/accounts/token/",
            None,
            &json!({"email": shouted, "password": user.password}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    for email in ["nul\u{0}@example.com", "no-at-sign", "", "a@b@c.com"] {
        let resp = app
            .post(
                "/api/accounts/token/",
                None,
                &json!({"email": email, "password": user.password}),
            )
            .await;
        let body = expect_error(resp, 401).await;
        assert_eq!(body["message"], "wrong email or password", "{email:?}");
    }
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_throttled() {
    let app = spawn_app().await;
    let user = app.user("linus").await;
    for _ in 0..5 {
        let resp = app
            .post(
                "/api/accounts/token/",
                None,
                &json!({"email": user.email, "password": "wrong password"}),
            )
            .await;
        expect_error(resp, 401).await;
    }
    let resp = app
        .post(
            "/api/accounts/token/",
            None,
            &json!({"email": user.email, "password": user.password}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    expect_error(resp, 429).await;
}

#[tokio::test]
async fn token_attacks_are_refused() {
    let app = spawn_app().await;
    let user = app.user("mallory").await;

    expect_error(app.get("/api/accounts/profile/", None).await, 401).await;
    expect_error(
        app.get("/api/accounts/profile/", Some("garbage")).await,
        401,
    )
    .await;

    let payload = user.access.split('.').nth(1).unwrap();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    expect_error(
        app.get("/api/accounts/profile/", Some(&unsigned)).await,
        401,
    )
    .await;

    let mut tampered = user.access.clone();
    tampered.pop();
    tampered.push(if user.access.ends_with('A') { 'B' } else { 'A' });
    expect_error(
        app.get("/api/accounts/profile/", Some(&tampered)).await,
        401,
    )
    .await;

    expect_error(
        app.get("/api/accounts/profile/", Some(&user.refresh)).await,
        401,
    )
    .await;

    let foreign = playpod::auth::JwtKeys::new(b"some other key, not the server's!!")
        .issue(
            user.id.parse().unwrap(),
            uuid::Uuid::new_v4(),
            playpod::auth::TokenKind::Access,
            &[],
        )
        .0;
    expect_error(app.get("/api/accounts/profile/", Some(&foreign)).await, 401).await;

    let keys = &app.state.jwt;
    let (_, mut claims) = keys.issue(
        user.id.parse().unwrap(),
        uuid::Uuid::new_v4(),
        playpod::auth::TokenKind::Access,
        &[],
    );
    claims.exp = chrono::Utc::now().timestamp() - 5;
    let body = expect_error(
        app.get("/api/accounts/profile/", Some(&keys.sign(&claims)))
            .await,
        401,
    )
    .await;
    assert!(body["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_whole_login() {
    let app = spawn_app().await;
    let user = app.user("eve").await;
    let first: Value = app
        .post(
            "/api/accounts/token/refresh/",
            None,
            &json!({"refresh": user.refresh}),
        )
        .await
        .json()
        .await
        .unwrap();
    let first_access = first["access"].as_str().unwrap();
    let resp = app.get("/api/accounts/profile/", Some(first_access)).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "the login is remembered as valid"
    );
    let reuse = app
        .post(
            "/api/accounts/token/refresh/",
            None,
            &json!({"refresh": user.refresh}),
        )
        .await;
    expect_error(reuse, 401).await;

    let descendant = app
        .post(
            "/api/accounts/token/refresh/",
            None,
            &json!({"refresh": first["refresh"]}),
        )
        .await;
    expect_error(descendant, 401).await;
    app.eventually_answers("/api/accounts/profile/", first_access, 401)
        .await;
    expect_error(
        app.get(
            "/api/accounts/profile/",
            Some(first["access"].as_str().unwrap()),
        )
        .await,
        401,
    )
    .await;
    expect_error(
        app.get("/api/accounts/profile/", Some(&user.access)).await,
        401,
    )
    .await;

    let other_login = app
        .post(
            "/api/accounts/token/",
            None,
            &json!({"email": user.email, "password": user.password}),
        )
        .await;
    assert_eq!(
        other_login.status(),
        StatusCode::OK,
        "a new login still works"
    );
}

#[tokio::test]
async fn a_deleted_users_tokens_stop_working() {
    let app = spawn_app().await;
    let user = app.user("ghost").await;
    let other = app.user("ghost-friend").await;
    for user in [&user, &other] {
        let resp = app.get("/api/accounts/profile/", Some(&user.access)).await;
        assert_eq!(
            resp.status(),
            StatusCode::OK,
            "the login is remembered as valid"
        );
    }
    assert!(
        playpod::accounts::delete(&app.state.pool, &user.email)
            .await
            .unwrap()
    );
    app.eventually_answers("/api/accounts/profile/", &user.access, 401)
        .await;
    expect_error(
        app.get("/api/accounts/profile/", Some(&user.access)).await,
        401,
    )
    .await;
    let resp = app.get("/api/accounts/profile/", Some(&other.access)).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "other accounts are untouched"
    );
    let resp = app
        .post(
            "/api/accounts/token/refresh/",
            None,
            &json!({"refresh": user.refresh}),
        )
        .await;
    expect_error(resp, 401).await;
}

fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&[0u8; 64]);
    bytes
}

#[tokio::test]
async fn avatars_are_checked_by_content_stored_and_served() {
    let app = spawn_app().await;
    let user = app.user("pixel").await;
    let upload = |bytes: Vec<u8>, mime: &str| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name("a.png")
            .mime_str(mime)
            .unwrap();
        app.client
            .post(app.url("/api/accounts/upload-avatar/"))
            .bearer_auth(&user.access)
            .multipart(reqwest::multipart::Form::new().part("avatar", part))
            .send()
    };
    let resp = upload(png(), "image/png").await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let url = resp.json::<Value>().await.unwrap()["avatar_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let served = app.get(&url, None).await;
    assert_eq!(served.status(), StatusCode::OK);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), png());
    let profile: Value = app
        .get("/api/accounts/profile/", Some(&user.access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(profile["avatar"], url.as_str());

    expect_error(
        upload(b"<svg onload=alert(1)>".to_vec(), "image/png")
            .await
            .unwrap(),
        415,
    )
    .await;
    let mut big = png();
    big.resize(5 * 1024 * 1024 + 1, 0);
    expect_error(upload(big, "image/png").await.unwrap(), 413).await;
    expect_error(
        app.get("/media/avatars/..%2F..%2Fetc%2Fpasswd.png", None)
            .await,
        404,
    )
    .await;
}

#[tokio::test]
async fn health_and_spec_are_served() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health/live", None).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/health/ready", None).await.status(),
        StatusCode::OK
    );
    let resp = app.get("/api/openapi.json", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let served: Value = resp.json().await.unwrap();
    let checked_in: Value = serde_json::from_str(include_str!("../openapi/openapi.json")).unwrap();
    assert_eq!(
        served, checked_in,
        "openapi/openapi.json is stale: run `cargo run -- openapi --output openapi/openapi.json`"
    );
    assert_eq!(app.get("/api/docs/", None).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn request_ids_are_echoed_and_made_up_when_absent() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "abc-123");
    let resp = app.get("/health/live", None).await;
    assert!(
        resp.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
}

#[tokio::test]
async fn cors_preflight_allows_configured_origins_only() {
    let app = common::spawn_app_with(&[("PLAYPOD_CORS_ORIGINS", "https://app.example")]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/accounts/profile/"))
            .header("origin", origin)
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
    };
    let ok = preflight("https://app.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let other = preflight("https://evil.example").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
