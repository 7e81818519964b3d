//! Snapshots of the queue hold exactly the folded state, and loading through them gives
//! the same aggregate as replaying every event; a long history written without snapshots
//! gets one at its first command.

mod common;

use cqrs_es::{Aggregate, EventStore, persist::PersistedEventRepository};
use domain::{
    CatalogId, TrackSnapshot,
    queue::{Queue, QueueCommand, QueueEntry, QueueEvent},
};
use playpod::{
    commands::CommandBus,
    event_store::{SharedTracks, SnapshotEventStore},
};
use postgres_es::PostgresEventRepository;
use sqlx::PgPool;

/// A store of its own, as a new instance has: nothing cached, so it loads from the tables.
fn store(pool: &PgPool, snapshot_every: usize) -> SnapshotEventStore<Queue> {
    SnapshotEventStore::new(
        pool.clone(),
        snapshot_every,
        1 << 20,
        SharedTracks::new(1 << 20),
    )
}

fn track(id: u64) -> TrackSnapshot {
    TrackSnapshot {
        track_id: CatalogId::new(id).unwrap(),
        title: format!("Track {id}"),
        artist_id: CatalogId::new(27).unwrap(),
        artist_name: "Daft Punk".into(),
        album_id: CatalogId::new(302127).ok(),
        album_title: "Discovery".into(),
        album_cover: String::new(),
        duration: 212,
    }
}

/// postgres-es's reader of the events and of the snapshots as PlayPod stores them.
fn repository(pool: &PgPool) -> PostgresEventRepository {
    PostgresEventRepository::new(pool.clone()).with_tables("events", "aggregate_snapshots")
}

async fn replay(repo: &PostgresEventRepository, id: &str) -> Queue {
    let mut queue = Queue::default();
    for event in repo.get_events::<Queue>(id).await.unwrap() {
        queue.apply(serde_json::from_value::<QueueEvent>(event.payload).unwrap());
    }
    queue
}

#[tokio::test]
async fn snapshots_equal_a_full_replay() {
    let app = common::spawn_app().await;
    let user = uuid::Uuid::new_v4();
    let id = user.to_string();
    for n in 1..=120u64 {
        app.state
            .queue
            .execute(
                &id,
                QueueCommand::Enqueue {
                    entry_id: uuid::Uuid::now_v7(),
                    track: track(n),
                },
                user,
            )
            .await
            .unwrap();
        app.state
            .queue
            .execute(
                &id,
                QueueCommand::Next {
                    radio: vec![track(10_000 + n)],
                },
                user,
            )
            .await
            .unwrap();
    }
    let repo = repository(&app.state.pool);
    let snapshot = repo
        .get_snapshot::<Queue>(&id)
        .await
        .unwrap()
        .expect("a snapshot was taken");
    let events = repo.get_events::<Queue>(&id).await.unwrap();
    assert!(snapshot.current_sequence > 50 && snapshot.current_sequence <= events.len());

    let mut folded = Queue::default();
    for event in events.iter().take(snapshot.current_sequence) {
        folded.apply(serde_json::from_value(event.payload.clone()).unwrap());
    }
    let stored: Queue = serde_json::from_value(snapshot.aggregate).unwrap();
    assert_eq!(stored, folded, "the snapshot holds each event once");

    let loaded = store(&app.state.pool, 50)
        .load_aggregate(&id)
        .await
        .unwrap();
    assert_eq!(loaded.aggregate, replay(&repo, &id).await);
    assert_eq!(loaded.current_sequence, events.len());
    assert!(loaded.replayed < 50, "loading replays fewer than 50 events");

    let projected: Vec<i64> = sqlx::query_scalar(
        "select track_id from queue_entries where user_id = $1 order by position",
    )
    .bind(user)
    .fetch_all(&app.state.pool)
    .await
    .unwrap();
    let expected: Vec<i64> = loaded
        .aggregate
        .entries()
        .iter()
        .map(|e| e.track.track_id.get() as i64)
        .collect();
    assert_eq!(
        projected, expected,
        "the read model follows trims, radio and enqueues"
    );
    let current: Option<i32> =
        sqlx::query_scalar("select current_position from queues where user_id = $1")
            .bind(user)
            .fetch_one(&app.state.pool)
            .await
            .unwrap();
    assert_eq!(current.map(|c| c as usize), loaded.aggregate.current());
    let plays: i64 = sqlx::query_scalar("select count(*) from playback_history where user_id = $1")
        .bind(user)
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    assert_eq!(plays, 120);
}

#[tokio::test]
async fn a_history_written_without_snapshots_gets_one_at_its_next_command() {
    let app = common::spawn_app().await;
    let user = uuid::Uuid::new_v4();
    let id = user.to_string();
    let enqueue = |n| QueueCommand::Enqueue {
        entry_id: uuid::Uuid::now_v7(),
        track: track(n),
    };
    let without_snapshots =
        cqrs_es::CqrsFramework::<Queue, _>::new(store(&app.state.pool, usize::MAX), vec![], ());
    for n in 1..=120u64 {
        without_snapshots.execute(&id, enqueue(n)).await.unwrap();
    }
    let repo = repository(&app.state.pool);
    assert!(repo.get_snapshot::<Queue>(&id).await.unwrap().is_none());

    app.state
        .queue
        .execute(&id, enqueue(121), user)
        .await
        .unwrap();

    let loaded = store(&app.state.pool, 50)
        .load_aggregate(&id)
        .await
        .unwrap();
    assert_eq!(loaded.replayed, 0, "the snapshot holds all 121 events");
    assert_eq!(loaded.current_sequence, 121);
    assert_eq!(loaded.aggregate, replay(&repo, &id).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_writing_one_aggregate_apply_each_command_once() {
    let app = common::spawn_app().await;
    let user = uuid::Uuid::new_v4();
    let id = user.to_string();
    // Two buses stand for two instances: each serialises its own commands only. A snapshot
    // every 3 events makes nearly every command race the other instance's snapshot.
    let instances: Vec<_> = (0..2)
        .map(|_| {
            std::sync::Arc::new(CommandBus::new(
                store(&app.state.pool, 3),
                app.state.projections.clone(),
                (),
            ))
        })
        .collect();
    let commands: Vec<_> = (1..=60u64)
        .map(|n| {
            let (bus, id) = (instances[n as usize % 2].clone(), id.clone());
            tokio::spawn(async move {
                let command = QueueCommand::Enqueue {
                    entry_id: uuid::Uuid::now_v7(),
                    track: track(n),
                };
                bus.execute(&id, command, user).await
            })
        })
        .collect();
    for command in commands {
        command.await.unwrap().expect("every command succeeds once");
    }
    let written: i64 = sqlx::query_scalar(
        "select count(*) from events where aggregate_type = 'Queue' and aggregate_id = $1",
    )
    .bind(&id)
    .fetch_one(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(written, 60, "no command was written twice");
    let repo = repository(&app.state.pool);
    let loaded = store(&app.state.pool, 3).load_aggregate(&id).await.unwrap();
    assert_eq!(loaded.aggregate, replay(&repo, &id).await);
}

#[tokio::test]
async fn a_snapshot_that_no_longer_decodes_is_replaced_from_the_events() {
    let app = common::spawn_app().await;
    let user = uuid::Uuid::new_v4();
    let id = user.to_string();
    let enqueue = |n: u64| QueueCommand::Enqueue {
        entry_id: uuid::Uuid::now_v7(),
        track: track(n),
    };
    for n in 1..=60u64 {
        app.state
            .queue
            .execute(&id, enqueue(n), user)
            .await
            .unwrap();
    }
    // What a snapshot written by a version with another shape of the queue looks like.
    let changed = sqlx::query(
        "update aggregate_snapshots set payload = '{\"an_older_shape\": true}'
          where aggregate_type = 'Queue' and aggregate_id = $1",
    )
    .bind(&id)
    .execute(&app.state.pool)
    .await
    .unwrap();
    assert_eq!(changed.rows_affected(), 1, "the queue had a snapshot");

    // The version that reads the new shape starts with nothing cached.
    let restarted = CommandBus::new(
        store(&app.state.pool, 50),
        app.state.projections.clone(),
        (),
    );
    restarted.execute(&id, enqueue(61), user).await.unwrap();

    let repo = repository(&app.state.pool);
    let snapshot = repo.get_snapshot::<Queue>(&id).await.unwrap().unwrap();
    let stored: Queue = serde_json::from_value(snapshot.aggregate).expect("a usable snapshot");
    assert_eq!(stored, replay(&repo, &id).await);
    assert_eq!(snapshot.current_sequence, 61);
    let loaded = store(&app.state.pool, 50)
        .load_aggregate(&id)
        .await
        .unwrap();
    assert_eq!(loaded.aggregate, stored);
    assert_eq!(loaded.replayed, 0);
}

/// Snapshots written before they moved to `aggregate_snapshots` (migration
/// 20261206000110) are carried over: loads go on starting from them.
#[tokio::test]
async fn snapshots_from_before_their_own_table_are_carried_over() {
    let database = common::fresh_database().await;
    let pool = PgPool::connect(&database).await.unwrap();
    let moved = 20261206000110;
    let before = sqlx::migrate::Migrator {
        migrations: playpod::db::MIGRATOR
            .migrations
            .iter()
            .filter(|m| m.version < moved)
            .cloned()
            .collect(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    before.run(&pool).await.unwrap();

    let id = uuid::Uuid::new_v4().to_string();
    let events: Vec<QueueEvent> = (1..=5u64)
        .map(|n| QueueEvent::TrackEnqueued {
            entry: QueueEntry::new(uuid::Uuid::now_v7(), track(n)),
            position: n as usize - 1,
        })
        .collect();
    let mut at_three = Queue::default();
    for (sequence, event) in (1i64..).zip(&events) {
        sqlx::query(
            "insert into events (aggregate_type, aggregate_id, sequence, event_type,
                                 event_version, payload, metadata)
             values ('Queue', $1, $2, 'TrackEnqueued', '1.0', $3, '{}')",
        )
        .bind(&id)
        .bind(sequence)
        .bind(sqlx::types::Json(event))
        .execute(&pool)
        .await
        .unwrap();
        if sequence <= 3 {
            at_three.apply(event.clone());
        }
    }
    sqlx::query(
        "insert into snapshots (aggregate_type, aggregate_id, last_sequence, current_snapshot, payload)
         values ('Queue', $1, 3, 7, $2)",
    )
    .bind(&id)
    .bind(sqlx::types::Json(&at_three))
    .execute(&pool)
    .await
    .unwrap();

    playpod::db::migrate(&pool).await.unwrap();
    let loaded = store(&pool, 50).load(&id).await.unwrap();
    assert_eq!(
        loaded.current_snapshot,
        Some(7),
        "loaded from the carried snapshot"
    );
    assert_eq!(loaded.replayed, 2);
    assert_eq!(loaded.current_sequence, 5);
    let repo = repository(&pool);
    assert_eq!(loaded.aggregate, replay(&repo, &id).await);
}
