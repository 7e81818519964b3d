//! What a long history costs a command: one sequential client jumps around the queue of
//! a user with 10 past events and of one with 100,000. The first command on each loads it
//! (a snapshot, once one is taken, and at most 49 events after it); the server keeps the
//! queue it leaves for the next, so the times after that should be close.

use std::time::{Duration, Instant};

use cqrs_es::Aggregate;
use domain::queue::Queue;
use sqlx::PgPool;
use uuid::Uuid;

use crate::cold_pass::percentile;

const TIMED: usize = 300;
/// Warm-up commands at most: each adds 2 events, and a snapshot is taken once a command
/// has replayed 50 events or more, or 50 have been written since the last one.
const MAX_WARM_UP: usize = 100;

pub struct Timing {
    /// The first command, which loads the whole history when there is no snapshot.
    pub cold: Duration,
    pub warm_up_commands: usize,
    pub median: Duration,
    pub p99: Duration,
}

pub struct Outcome {
    pub light: Timing,
    pub heavy: Timing,
}

impl Outcome {
    pub fn ratio(&self) -> f64 {
        self.heavy.median.as_secs_f64() / self.light.median.as_secs_f64()
    }
}

struct Client<'a> {
    http: reqwest::Client,
    url: String,
    token: &'a str,
    commands: usize,
}

impl Client<'_> {
    /// `POST /queue/position/`, alternating between two positions.
    async fn command(&mut self) -> crate::Result<Duration> {
        self.commands += 1;
        let started = Instant::now();
        let response = self
            .http
            .post(&self.url)
            .bearer_auth(self.token)
            .json(&serde_json::json!({ "position": 1 + self.commands % 2 }))
            .send()
            .await?;
        let status = response.status();
        response.bytes().await?;
        if !status.is_success() {
            return Err(format!("queue position answered {status}").into());
        }
        Ok(started.elapsed())
    }
}

pub async fn run(
    pool: &PgPool,
    base_url: &str,
    (light, light_token): (Uuid, &str),
    (heavy, heavy_token): (Uuid, &str),
) -> crate::Result<Outcome> {
    // One connection, kept alive: only the server's work differs between the two users.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
    let client = |token| Client {
        http: http.clone(),
        url: format!("{base_url}/api/playlists/queue/position/"),
        token,
        commands: 0,
    };
    let (mut light_client, mut heavy_client) = (client(light_token), client(heavy_token));
    let light_cold = warm_up(pool, &mut light_client, light).await?;
    let heavy_cold = warm_up(pool, &mut heavy_client, heavy).await?;
    let (mut light_times, mut heavy_times) = (Vec::new(), Vec::new());
    // Interleaved, so that any drift of the machine touches both alike.
    for _ in 0..TIMED {
        light_times.push(light_client.command().await?);
        heavy_times.push(heavy_client.command().await?);
    }
    Ok(Outcome {
        light: timing(light_cold, light_times),
        heavy: timing(heavy_cold, heavy_times),
    })
}

/// Commands until the queue has a snapshot; answers the first one's time and count.
async fn warm_up(
    pool: &PgPool,
    client: &mut Client<'_>,
    user: Uuid,
) -> crate::Result<(Duration, usize)> {
    let cold = client.command().await?;
    while !has_snapshot(pool, user).await? {
        if client.commands >= MAX_WARM_UP {
            return Err(format!("no queue snapshot after {MAX_WARM_UP} commands").into());
        }
        client.command().await?;
    }
    Ok((cold, client.commands))
}

async fn has_snapshot(pool: &PgPool, user: Uuid) -> crate::Result<bool> {
    let found: bool = sqlx::query_scalar(
        "select exists(select 1 from aggregate_snapshots where aggregate_type = $1 and aggregate_id = $2)",
    )
    .bind(Queue::TYPE)
    .bind(user.to_string())
    .fetch_one(pool)
    .await?;
    Ok(found)
}

fn timing((cold, warm_up_commands): (Duration, usize), mut times: Vec<Duration>) -> Timing {
    times.sort();
    Timing {
        cold,
        warm_up_commands,
        median: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
    }
}
