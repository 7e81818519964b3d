//! PostgreSQL going away mid-run: requests fail fast with a 503 JSON error while it is
//! down, and the server recovers by itself when it is back.

mod common;

use std::time::{Duration, Instant};

use common::{expect_error, tcp_proxy::TcpProxy};
use playpod::startup::Application;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_fail_fast_while_the_database_is_down_and_recover_after() {
    let direct = common::fresh_database().await;
    // postgres://user[:password]@host:port/name: route host:port through the proxy.
    let (credentials, rest) = direct.rsplit_once('@').unwrap();
    let (server, name) = rest.split_once('/').unwrap();
    let upstream = tokio::net::lookup_host(server)
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = TcpProxy::start(upstream).await;
    let through_proxy = format!("{credentials}@{}/{name}", proxy.addr);
    let media = tempfile::tempdir().unwrap();
    let app = Application::build(common::test_settings(&through_proxy, media.path(), &[]))
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();

    let register =
        json!({"username": "steady", "email": "steady@example.com", "password": "a long password"});
    let resp = client
        .post(format!("{base}/api/accounts/register/"))
        .json(&register)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let login = json!({"email": "steady@example.com", "password": "a long password"});
    let token = client
        .post(format!("{base}/api/accounts/token/"))
        .json(&login)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access"]
        .as_str()
        .unwrap()
        .to_owned();
    let queue = |client: &reqwest::Client| {
        client
            .get(format!("{base}/api/playlists/queue/tracks/"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(queue(&client).await.unwrap().status(), StatusCode::OK);
    // Every connection cut at once, as by a restart of the database that is over before
    // the next request: a read whose connection broke runs again on a new one.
    proxy.take_down();
    proxy.bring_up();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(queue(&client).await.unwrap().status(), StatusCode::OK);

    proxy.take_down();
    let err = expect_error(queue(&client).await.unwrap(), 503).await;
    assert_eq!(err["error"], "unavailable", "a kept-answer read");
    for path in ["/health/ready", "/api/accounts/register/"] {
        let started = Instant::now();
        let body = json!({"username": "later", "email": "later@example.com", "password": "a long password"});
        let resp = if path.starts_with("/health") {
            client.get(format!("{base}{path}")).send().await.unwrap()
        } else {
            client
                .post(format!("{base}{path}"))
                .json(&body)
                .send()
                .await
                .unwrap()
        };
        let err = expect_error(resp, 503).await;
        assert_eq!(err["error"], "unavailable", "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{path} hung for {:?}",
            started.elapsed()
        );
    }
    assert_eq!(
        client
            .get(format!("{base}/health/live"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    proxy.bring_up();
    let mut recovered = false;
    for _ in 0..100 {
        let resp = client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .unwrap();
        if resp.status() == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(recovered, "the server did not recover by itself");
    assert_eq!(
        queue(&client).await.unwrap().status(),
        StatusCode::OK,
        "a kept-answer read after the outage"
    );
    let resp = client
        .post(format!("{base}/api/accounts/token/"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "nothing was lost");
}
