//! The engine's guarantees, on a real PostgreSQL: events committed out of order are never
//! skipped, each is applied exactly once, and rebuild equals live.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use projections::{Projection, ProjectionEngine, ProjectionError, StoredEvent};
use sqlx::{PgConnection, PgPool};

struct Seen;

#[async_trait]
impl Projection for Seen {
    fn name(&self) -> &'static str {
        "seen"
    }
    fn aggregate_types(&self) -> &'static [&'static str] {
        &["Probe"]
    }
    fn tables(&self) -> &'static [&'static str] {
        &["seen"]
    }
    async fn apply(
        &self,
        conn: &mut PgConnection,
        events: &[StoredEvent],
    ) -> Result<(), ProjectionError> {
        // The primary key turns a second application of one event into an error.
        for event in events {
            sqlx::query(
                "insert into seen (position, aggregate_id, sequence, synchronous_commit)
                 values ($1, $2, $3, current_setting('synchronous_commit'))",
            )
            .bind(event.position)
            .bind(&event.aggregate_id)
            .bind(event.sequence)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

async fn setup() -> (PgPool, ProjectionEngine) {
    let url = common::fresh_database().await;
    let pool = playpod::db::connect(&url).await.unwrap();
    playpod::db::migrate(&pool).await.unwrap();
    sqlx::query(
        "create table seen (position bigint primary key, aggregate_id text not null,
                            sequence bigint not null, synchronous_commit text not null)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let engine = ProjectionEngine::new(pool.clone(), vec![Arc::new(Seen)])
        .await
        .unwrap();
    (pool, engine)
}

const INSERT: &str = "insert into events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata)
     values ('Probe', $1, $2, 'Probed', '1.0', '{}', '{}')";

/// Catches up until `expected` rows are projected. Another open transaction anywhere on the
/// server (a parallel test) can hold the watermark back for a moment, so one pass may not
/// be enough.
async fn catch_up_to(engine: &ProjectionEngine, pool: &PgPool, expected: usize) {
    for _ in 0..6000 {
        engine.catch_up().await.unwrap();
        if seen(pool).await.len() >= expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{expected} events were not projected");
}

async fn seen(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("select aggregate_id || ':' || sequence from seen order by position")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_event_committed_after_a_later_one_is_not_skipped() {
    let (pool, engine) = setup().await;
    let mut slow = pool.begin().await.unwrap();
    sqlx::query(INSERT)
        .bind("slow")
        .bind(1_i64)
        .execute(&mut *slow)
        .await
        .unwrap();
    sqlx::query(INSERT)
        .bind("fast")
        .bind(1_i64)
        .execute(&pool)
        .await
        .unwrap();

    engine.catch_up().await.unwrap();
    assert!(
        seen(&pool).await.is_empty(),
        "the fast event waits for the older open transaction"
    );

    slow.commit().await.unwrap();
    catch_up_to(&engine, &pool, 2).await;
    assert_eq!(seen(&pool).await, vec!["slow:1", "fast:1"]);
    assert_eq!(
        engine.catch_up().await.unwrap(),
        0,
        "nothing is applied twice"
    );
}

#[tokio::test]
async fn an_aborted_transaction_does_not_block_anything() {
    let (pool, engine) = setup().await;
    let mut aborted = pool.begin().await.unwrap();
    sqlx::query(INSERT)
        .bind("gone")
        .bind(1_i64)
        .execute(&mut *aborted)
        .await
        .unwrap();
    sqlx::query(INSERT)
        .bind("kept")
        .bind(1_i64)
        .execute(&pool)
        .await
        .unwrap();
    aborted.rollback().await.unwrap();
    catch_up_to(&engine, &pool, 1).await;
    assert_eq!(seen(&pool).await, vec!["kept:1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_concurrent_writers_and_projectors_apply_every_event_exactly_once() {
    let (pool, engine) = setup().await;
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for seq in 1..=25_i64 {
                    let mut tx = pool.begin().await.unwrap();
                    sqlx::query(INSERT)
                        .bind(format!("w{w}"))
                        .bind(seq)
                        .execute(&mut *tx)
                        .await
                        .unwrap();
                    if seq % 3 == 0 {
                        tokio::task::yield_now().await;
                    }
                    tx.commit().await.unwrap();
                }
            })
        })
        .collect();
    let projectors: Vec<_> = (0..3)
        .map(|_| {
            let engine = engine.clone();
            tokio::spawn(async move {
                for _ in 0..40 {
                    engine.catch_up().await.unwrap();
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for t in writers.into_iter().chain(projectors) {
        t.await.unwrap();
    }
    catch_up_to(&engine, &pool, 16 * 25).await;
    let count: i64 = sqlx::query_scalar("select count(*) from seen")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 16 * 25);
    let live = seen(&pool).await;
    engine.rebuild(&Seen).await.unwrap();
    assert_eq!(seen(&pool).await, live, "a rebuild gives the same rows");
}

#[tokio::test]
async fn wait_for_returns_once_the_aggregate_is_projected() {
    let (pool, engine) = setup().await;
    sqlx::query(INSERT)
        .bind("mine")
        .bind(1_i64)
        .execute(&pool)
        .await
        .unwrap();
    engine
        .wait_for("Probe", "mine", std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(seen(&pool).await, vec!["mine:1"]);
    engine
        .wait_for("Unknown", "x", std::time::Duration::from_secs(1))
        .await
        .unwrap();
}

/// The engine's projector running as leader, until `stop`.
struct Leading {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Leading {
    async fn start(engine: &ProjectionEngine) -> Self {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(engine.clone().run(stopped));
        while !engine.is_leader() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        Self { stop, task }
    }

    async fn stop(self) {
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
    }
}

#[tokio::test]
async fn on_the_leader_commands_wait_for_the_running_projector() {
    let (pool, engine) = setup().await;
    let projector = Leading::start(&engine).await;
    let writers = (0..8).map(|w| {
        let (pool, engine) = (pool.clone(), engine.clone());
        tokio::spawn(async move {
            let id = format!("writer-{w}");
            for sequence in 1..=10_i64 {
                sqlx::query(INSERT)
                    .bind(&id)
                    .bind(sequence)
                    .execute(&pool)
                    .await
                    .unwrap();
                engine
                    .wait_for("Probe", &id, std::time::Duration::from_secs(10))
                    .await
                    .unwrap();
                let projected: i64 =
                    sqlx::query_scalar("select count(*) from seen where aggregate_id = $1")
                        .bind(&id)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                assert_eq!(projected, sequence, "{id} reads its own writes");
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
    projector.stop().await;
    assert_eq!(seen(&pool).await.len(), 80);
}

#[tokio::test]
async fn the_leader_sees_events_another_instance_applied() {
    let (pool, leader) = setup().await;
    let projector = Leading::start(&leader).await;
    let other = ProjectionEngine::new(pool.clone(), vec![Arc::new(Seen)])
        .await
        .unwrap();
    sqlx::query(INSERT)
        .bind("elsewhere")
        .bind(1_i64)
        .execute(&pool)
        .await
        .unwrap();
    catch_up_to(&other, &pool, 1).await;
    leader
        .wait_for("Probe", "elsewhere", std::time::Duration::from_secs(3))
        .await
        .expect("the leader learns the checkpoint another instance moved");
    projector.stop().await;
}

#[tokio::test]
async fn read_models_commit_without_waiting_for_the_disk_but_events_do_wait() {
    let (pool, engine) = setup().await;
    sqlx::query(INSERT)
        .bind("durable")
        .bind(1_i64)
        .execute(&pool)
        .await
        .unwrap();
    catch_up_to(&engine, &pool, 1).await;
    let applied_with: Vec<String> = sqlx::query_scalar("select synchronous_commit from seen")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(applied_with, ["off"]);
    let elsewhere: String = sqlx::query_scalar("show synchronous_commit")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        elsewhere, "on",
        "the setting stays inside the projector's transaction"
    );
}

#[tokio::test]
async fn stored_events_cannot_be_changed_or_deleted() {
    let (pool, _engine) = setup().await;
    sqlx::query(INSERT)
        .bind("fixed")
        .bind(1_i64)
        .execute(&pool)
        .await
        .unwrap();
    for sql in [
        "update events set payload = '{\"x\":1}'",
        "delete from events",
        "truncate events",
    ] {
        let err = sqlx::query(sql).execute(&pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}
