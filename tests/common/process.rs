//! The real `playpod` binary as a child process, for crash and fleet tests.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

pub struct ServerProcess {
    pub child: Child,
    pub base: String,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl ServerProcess {
    /// Starts the server against `database_url` and waits until it is ready.
    pub async fn start(database_url: &str, media_dir: &std::path::Path) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_playpod"))
            .env("DATABASE_URL", database_url)
            .env("PLAYPOD_BIND", format!("127.0.0.1:{port}"))
            .env(
                "SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .env("PLAYPOD_MEDIA_DIR", media_dir)
            .env("RUST_LOG", "error")
            .env_remove("DEEZER_BASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start playpod");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(resp) = client
                .get(format!("{}/health/ready", server.base))
                .send()
                .await
                && resp.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("playpod did not become ready on port {port}");
    }

    /// SIGKILL: no draining, no shutdown hooks.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Registers `name` on the server at `base` and logs in: (user id, access token).
pub async fn login(client: &reqwest::Client, base: &str, name: &str) -> (String, String) {
    let email = format!("{name}@example.com");
    let body = serde_json::json!({"username": name, "email": email, "password": "a long password"});
    let registered: serde_json::Value = client
        .post(format!("{base}/api/accounts/register/"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tokens: serde_json::Value = client
        .post(format!("{base}/api/accounts/token/"))
        .json(&serde_json::json!({"email": email, "password": "a long password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        registered["id"].as_str().unwrap().to_owned(),
        tokens["access"].as_str().unwrap().to_owned(),
    )
}

/// Catches every projection up, then checks each read model against a rebuild from the
/// events alone.
pub async fn assert_read_models_match_a_rebuild(pool: &sqlx::PgPool) {
    let engine = projections::ProjectionEngine::new(pool.clone(), playpod::read_models::all())
        .await
        .unwrap();
    engine.catch_up().await.unwrap();
    for projection in engine.projections() {
        let verification = projections::verify::verify(pool, projection.as_ref())
            .await
            .unwrap();
        assert!(
            verification.matches(),
            "{} differs from a rebuild: {verification:?}",
            projection.name()
        );
    }
}
