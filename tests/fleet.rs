//! Three PlayPod processes on one database: commands through all of them stay correct,
//! exactly one leads the projectors, another takes over when the leader dies, and the read
//! models equal a rebuild.

mod common;

use std::time::Duration;

use common::process::{ServerProcess, assert_read_models_match_a_rebuild, login};
use serde_json::{Value, json};

async fn leads(client: &reqwest::Client, base: &str) -> Option<bool> {
    let health: Value = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    health["projector_leader"].as_bool()
}

async fn leaders(client: &reqwest::Client, servers: &[&ServerProcess]) -> Vec<usize> {
    let mut found = Vec::new();
    for (i, s) in servers.iter().enumerate() {
        if leads(client, &s.base).await == Some(true) {
            found.push(i);
        }
    }
    found
}

async fn wait_for_one_leader(client: &reqwest::Client, servers: &[&ServerProcess]) -> usize {
    for _ in 0..200 {
        let found = leaders(client, servers).await;
        if found.len() == 1 {
            return found[0];
        }
        assert!(found.len() <= 1, "two leaders at once: {found:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no instance took the lead within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_fleet_shares_one_database_and_survives_losing_its_projector_leader() {
    let database_url = common::fresh_database().await;
    let media = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(ServerProcess::start(&database_url, media.path()).await);
    }

    let (_, token) = login(&client, &servers[0].base, "fleet").await;

    let refs: Vec<&ServerProcess> = servers.iter().collect();
    let leader = wait_for_one_leader(&client, &refs).await;

    let enqueue_round = |servers: Vec<String>, n: u64| {
        let (client, token) = (client.clone(), token.clone());
        async move {
            let mut ok = 0;
            for i in 0..n {
                let base = &servers[i as usize % servers.len()];
                let resp = client
                    .post(format!("{base}/api/playlists/queue/enqueue/"))
                    .bearer_auth(&token)
                    .json(&json!({"track_id": 3135553 + i % 14}))
                    .send()
                    .await
                    .unwrap();
                assert!(
                    resp.status().is_success(),
                    "enqueue through {base}: {}",
                    resp.status()
                );
                ok += 1;
            }
            ok
        }
    };
    let all: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let mut acknowledged = enqueue_round(all, 30).await;

    servers[leader].kill();
    let survivors: Vec<&ServerProcess> = servers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != leader)
        .map(|(_, s)| s)
        .collect();
    wait_for_one_leader(&client, &survivors).await;
    acknowledged += enqueue_round(survivors.iter().map(|s| s.base.clone()).collect(), 30).await;

    let tracks: Value = client
        .get(format!("{}/api/playlists/queue/tracks/", survivors[0].base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        tracks.as_array().unwrap().len(),
        acknowledged,
        "every enqueue through every instance is there"
    );

    let pool = playpod::db::connect(&database_url).await.unwrap();
    assert_read_models_match_a_rebuild(&pool).await;
}
