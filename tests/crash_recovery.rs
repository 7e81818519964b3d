//! SIGKILL during a write load: every acknowledged command survives, and after a restart
//! every read model equals a rebuild from the events.

mod common;

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use common::process::{ServerProcess, assert_read_models_match_a_rebuild, login};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_commands_survive_sigkill_and_read_models_match_a_rebuild() {
    let database_url = common::fresh_database().await;
    let media = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(&database_url, media.path()).await;
    let client = reqwest::Client::new();

    let mut users = Vec::new();
    for i in 0..6 {
        users.push(login(&client, &server.base, &format!("crash{i}")).await);
    }

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = users
        .iter()
        .cloned()
        .map(|(id, token)| {
            let (client, base, stop) = (client.clone(), server.base.clone(), stop.clone());
            tokio::spawn(async move {
                let mut acknowledged = 0u32;
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let (path, body) = if n.is_multiple_of(3) {
                        ("next", json!({}))
                    } else {
                        ("enqueue", json!({"track_id": 3135553 + n % 14}))
                    };
                    let sent = client
                        .post(format!("{base}/api/playlists/queue/{path}/"))
                        .bearer_auth(&token)
                        .json(&body)
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    match sent {
                        Ok(resp) if resp.status().is_success() && path == "enqueue" => {
                            acknowledged += 1
                        }
                        Ok(resp) if resp.status().is_server_error() => {
                            panic!("a 5xx under load: {}", resp.status())
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                (id, acknowledged)
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = HashMap::new();
    for w in writers {
        let (id, count) = w.await.unwrap();
        acknowledged.insert(id, count);
    }
    assert!(acknowledged.values().sum::<u32>() > 0, "the load did run");

    let server = ServerProcess::start(&database_url, media.path()).await;
    let pool = playpod::db::connect(&database_url).await.unwrap();
    for (user, count) in &acknowledged {
        let stored: i64 = sqlx::query_scalar(
            "select count(*) from events where aggregate_type = 'Queue' and aggregate_id = $1 and event_type = 'TrackEnqueued'",
        )
        .bind(user)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(
            stored >= i64::from(*count),
            "user {user}: {count} acknowledged, {stored} stored"
        );
    }

    assert_read_models_match_a_rebuild(&pool).await;
    drop(server);
}
