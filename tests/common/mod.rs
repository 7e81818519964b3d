//! Test helpers: each test gets its own database and a server on a free port.
#![allow(dead_code)]

pub mod fake_deezer;
pub mod process;
pub mod tcp_proxy;

use std::collections::HashMap;

use playpod::{config::Settings, startup::Application, state::AppState};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub state: AppState,
    _media: tempfile::TempDir,
}

fn server_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh, empty database on the test server; returns its URL.
pub async fn fresh_database() -> String {
    init();
    let server = server_url();
    let name = format!("playpod_t_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&server)
        .await
        .expect("PostgreSQL for tests");
    sqlx::query(&format!("create database {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let (prefix, _) = server.rsplit_once('/').expect("database URL with a path");
    format!("{prefix}/{name}")
}

pub fn test_settings(
    database_url: &str,
    media_dir: &std::path::Path,
    extra: &[(&str, &str)],
) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.into()),
        ("PLAYPOD_BIND".into(), "127.0.0.1:0".into()),
        (
            "SECRET_KEY".into(),
            "test-secret-key-that-is-long-enough-0123456789".into(),
        ),
        ("PLAYPOD_MEDIA_DIR".into(), media_dir.display().to_string()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Settings::from_lookup(|name| vars.get(name).cloned()).expect("test settings")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    init();
    let database_url = fresh_database().await;
    let media = tempfile::tempdir().expect("media dir");
    let app = Application::build(test_settings(&database_url, media.path(), extra))
        .await
        .expect("application builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        base,
        client: Client::new(),
        state,
        _media: media,
    }
}

/// A server whose catalog is the Deezer API at `base` (a `FakeDeezer`, or a refused
/// port), with a 1-second upstream time limit unless `extra` says otherwise.
pub async fn spawn_app_with_deezer(base: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("DEEZER_BASE_URL", base),
        ("PLAYPOD_DEEZER_TIMEOUT_MS", "1000"),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

fn init() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        if std::env::var("TEST_LOG").is_ok() {
            playpod::telemetry::init();
        }
    });
}

pub struct User {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, path, token, body)
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Response {
        self.send_json(reqwest::Method::PATCH, path, token, body)
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        let mut req = self.client.delete(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    /// Polls `GET path` with `token` until it answers `status`: account changes made
    /// outside a request (the `playpod users` commands) reach a running server through a
    /// database notification, within moments rather than before the very next request.
    pub async fn eventually_answers(&self, path: &str, token: &str, status: u16) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let got = self.get(path, Some(token)).await.status().as_u16();
            if got == status {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "GET {path} still answers {got}, not {status}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Registers `name` (email `name@example.com`) and logs in.
    pub async fn user(&self, name: &str) -> User {
        let email = format!("{name}@example.com");
        let password = format!("{name}-password-1");
        let resp = self
            .post(
                "/api/accounts/register/",
                None,
                &json!({"username": name, "email": email, "password": password}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "register {name}");
        let id = resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let tokens = self
            .post(
                "/api/accounts/token/",
                None,
                &json!({"email": email, "password": password}),
            )
            .await
            .json::<Value>()
            .await
            .unwrap();
        User {
            id,
            email,
            password,
            access: tokens["access"].as_str().unwrap().to_owned(),
            refresh: tokens["refresh"].as_str().unwrap().to_owned(),
        }
    }
}

/// Asserts the status and that the body is the JSON error shape; returns the body.
pub async fn expect_error(resp: Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status, "unexpected status");
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "error is not JSON: {content_type}"
    );
    let body: Value = resp.json().await.expect("JSON error body");
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "error shape: {body}"
    );
    body
}

impl TestApp {
    /// `n` (at most 100) distinct track ids from the catalog's top chart.
    pub async fn track_ids(&self, token: &str, n: usize) -> Vec<String> {
        let chart: Value = self
            .get(&format!("/api/charts/top/?limit={n}"), Some(token))
            .await
            .json()
            .await
            .expect("top chart");
        let ids: Vec<String> = chart["tracks"]
            .as_array()
            .expect("chart tracks")
            .iter()
            .map(|t| t["id"].as_str().expect("track id").to_owned())
            .collect();
        assert_eq!(ids.len(), n, "the catalog has {n} chart tracks");
        ids
    }

    /// What `playpod users grant-role EMAIL ROLE` does.
    pub async fn grant_role(&self, email: &str, role: &str) {
        assert!(
            playpod::accounts::set_role(&self.state.pool, email, role, true)
                .await
                .expect("grant role"),
            "no account {email}"
        );
    }

    /// Creates a playlist owned by `token`'s user; returns its id.
    pub async fn playlist(&self, token: &str, name: &str, is_public: bool) -> String {
        let resp = self
            .post(
                "/api/playlists/playlists/",
                Some(token),
                &json!({"name": name, "is_public": is_public}),
            )
            .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "create playlist {name}");
        resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl TestApp {
    /// Another PlayPod instance on the same database, as when several run behind a load
    /// balancer: its commands race this one's in PostgreSQL, not in one process.
    pub async fn second_instance(&self) -> TestApp {
        let media = tempfile::tempdir().expect("media dir");
        let database_url = self.state.settings.database_url.expose().to_owned();
        let app = Application::build(test_settings(&database_url, media.path(), &[]))
            .await
            .expect("second instance builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            base,
            client: Client::new(),
            state,
            _media: media,
        }
    }
}
