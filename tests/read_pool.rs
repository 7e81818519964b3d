//! The connections of the kept-answer reads: no round trip besides the read's own, reused,
//! bounded, and a read whose connection broke runs again on a new one.

mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::tcp_proxy::TcpProxy;
use playpod::db::{ReadPool, is_connection_lost};
use sqlx::{PgConnection, postgres::PgConnectOptions};

/// The test database, reached through a proxy that can cut the line.
async fn through_proxy() -> (TcpProxy, PgConnectOptions) {
    let direct: PgConnectOptions = common::fresh_database().await.parse().unwrap();
    let upstream = tokio::net::lookup_host((direct.get_host(), direct.get_port()))
        .await
        .unwrap()
        .next()
        .unwrap();
    let proxy = TcpProxy::start(upstream).await;
    let options = direct
        .host(&proxy.addr.ip().to_string())
        .port(proxy.addr.port());
    (proxy, options)
}

async fn backend(pool: &ReadPool) -> sqlx::Result<i32> {
    pool.read(|conn: &mut PgConnection| {
        Box::pin(sqlx::query_scalar("select pg_backend_pid()").fetch_one(conn))
    })
    .await
}

#[tokio::test]
async fn a_connection_is_reused_and_survives_a_refused_statement() {
    let (_proxy, options) = through_proxy().await;
    let pool = ReadPool::connect(options, 2).await.unwrap();
    let first = backend(&pool).await.unwrap();
    assert_eq!(backend(&pool).await.unwrap(), first);

    let refused = pool
        .read(|conn| Box::pin(sqlx::query_scalar::<_, i32>("select 1 / 0").fetch_one(conn)))
        .await
        .unwrap_err();
    assert!(!is_connection_lost(&refused), "{refused}");
    assert_eq!(backend(&pool).await.unwrap(), first);
}

#[tokio::test]
async fn no_more_connections_than_its_size_are_open_at_once() {
    let (_proxy, options) = through_proxy().await;
    let pool = Arc::new(ReadPool::connect(options, 2).await.unwrap());
    let reads: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.read(|conn| {
                    Box::pin(
                        sqlx::query_scalar::<_, i32>("select pg_backend_pid() from pg_sleep(0.05)")
                            .fetch_one(conn),
                    )
                })
                .await
                .unwrap()
            })
        })
        .collect();
    let mut backends = Vec::new();
    for read in reads {
        backends.push(read.await.unwrap());
    }
    backends.sort_unstable();
    backends.dedup();
    assert_eq!(backends.len(), 2, "{backends:?}");
}

#[tokio::test]
async fn a_read_whose_connection_broke_runs_again_on_a_new_one() {
    let (proxy, options) = through_proxy().await;
    let pool = ReadPool::connect(options, 2).await.unwrap();
    let before = backend(&pool).await.unwrap();

    // Every connection is cut, as when the database restarts, and new ones are let in.
    proxy.take_down();
    proxy.bring_up();
    tokio::time::sleep(Duration::from_millis(50)).await;

    let after = backend(&pool).await.unwrap();
    assert_ne!(after, before);
    assert_eq!(backend(&pool).await.unwrap(), after);
}

#[tokio::test]
async fn reads_fail_fast_as_an_outage_while_the_database_is_down() {
    let (proxy, options) = through_proxy().await;
    let pool = ReadPool::connect(options, 2).await.unwrap();
    backend(&pool).await.unwrap();

    proxy.take_down();
    let started = Instant::now();
    let down = backend(&pool).await.unwrap_err();
    assert!(is_connection_lost(&down), "{down}");
    assert!(started.elapsed() < Duration::from_secs(5));

    proxy.bring_up();
    backend(&pool).await.unwrap();
}

/// A connection that stopped answering without closing (a firewall forgot it) must not
/// hold a read until TCP gives up: after 5 s the read counts as an outage and runs once more
/// on a new connection.
#[tokio::test]
async fn a_read_that_gets_no_answer_gives_up_and_leaves_the_pool_usable() {
    let (_proxy, options) = through_proxy().await;
    let pool = ReadPool::connect(options, 1).await.unwrap();
    let started = Instant::now();
    let stuck = pool
        .read(|conn| {
            Box::pin(sqlx::query_scalar::<_, i32>("select 1 from pg_sleep(10)").fetch_one(conn))
        })
        .await
        .unwrap_err();
    assert!(is_connection_lost(&stuck), "{stuck}");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    backend(&pool).await.unwrap();
}
