//! SIGTERM: the server stops taking connections, answers the requests it has (none is
//! answered with an error), stops the projectors at a checkpoint and exits cleanly.

mod common;

use std::time::Duration;

use common::process::{ServerProcess, assert_read_models_match_a_rebuild, login};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_drains_in_flight_requests_and_exits_cleanly() {
    let database_url = common::fresh_database().await;
    let media = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&database_url, media.path()).await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let (_, token) = login(&client, &base, "drain").await;

    let requests: Vec<_> = (0..24u64)
        .map(|i| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            tokio::spawn(async move {
                client
                    .post(format!("{base}/api/playlists/queue/enqueue/"))
                    .bearer_auth(token)
                    .json(&json!({"track_id": 3135553 + i % 14}))
                    .send()
                    .await
                    .map(|r| r.status())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let pid = server.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );

    let mut answered = 0;
    for r in requests {
        match r.await.unwrap() {
            Ok(status) => {
                assert!(
                    status.is_success(),
                    "an accepted request was answered {status}"
                );
                answered += 1;
            }
            // Not taken in: refused, or sent on a connection the server was closing before
            // reading it (the client cannot tell those apart, and neither wrote anything).
            Err(err) => assert!(!err.is_timeout(), "a request hung: {err}"),
        }
    }

    let mut exit = None;
    for _ in 0..150 {
        if let Some(status) = server.child.try_wait().unwrap() {
            exit = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exit = exit.expect("the server exited within 15 s");
    assert!(exit.success(), "exit status {exit}");

    let pool = playpod::db::connect(&database_url).await.unwrap();
    let stored: i64 =
        sqlx::query_scalar("select count(*) from events where event_type = 'TrackEnqueued'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(stored >= answered, "{answered} answered, {stored} stored");
    assert_read_models_match_a_rebuild(&pool).await;
}
