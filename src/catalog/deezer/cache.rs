//! A bounded cache for one kind of Deezer resource.
//!
//! - Concurrent misses for one key make a single upstream request (moka's
//!   `try_get_with` runs one initialiser per key; the others wait for its result).
//! - "No data" answers are cached too, for a shorter time.
//! - The last good value of each key is kept for `stale_for` after it was fetched: when
//!   the upstream fails, it is served instead of the error, and kept as the answer for
//!   `stale_retry`, so an outage does not turn every request into a failing call.

use std::{future::Future, sync::Arc, time::Duration};

use moka::{Expiry, future::Cache};

use crate::catalog::{CatalogError, CatalogResult};

#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    /// How long an answer is served before it is fetched again.
    pub ttl: Duration,
    /// How long a "no data" answer is served.
    pub missing_ttl: Duration,
    /// How long after its fetch a value may still stand in for a failing upstream.
    pub stale_for: Duration,
    /// How long a stale value is served before the upstream is tried again.
    pub stale_retry: Duration,
    /// Most entries kept.
    pub capacity: u64,
}

struct Entry<V> {
    /// `None`: the upstream said it has no such thing.
    value: Option<Arc<V>>,
    ttl: Duration,
}

// Not derived: the derive would require `V: Clone`, but only the `Arc` is cloned.
impl<V> Clone for Entry<V> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
            ttl: self.ttl,
        }
    }
}

/// Each entry expires after its own time to live.
struct OwnTtl;

impl<V> Expiry<String, Entry<V>> for OwnTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        entry: &Entry<V>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry<V>,
        _updated_at: std::time::Instant,
        _remaining: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}

pub struct KindCache<V> {
    answers: Cache<String, Entry<V>>,
    last_good: Cache<String, Arc<V>>,
    policy: CachePolicy,
}

impl<V: Send + Sync + 'static> KindCache<V> {
    pub fn new(policy: CachePolicy) -> Self {
        Self {
            answers: Cache::builder()
                .max_capacity(policy.capacity)
                .expire_after(OwnTtl)
                .build(),
            last_good: Cache::builder()
                .max_capacity(policy.capacity)
                .time_to_live(policy.stale_for)
                .build(),
            policy,
        }
    }

    /// The cached answer for `key`, or `fetch`'s (`Ok(None)`: no such thing upstream).
    pub async fn get<F>(&self, key: &str, fetch: F) -> CatalogResult<Option<Arc<V>>>
    where
        F: Future<Output = CatalogResult<Option<V>>>,
    {
        let init = async {
            match fetch.await {
                Ok(Some(value)) => {
                    let value = Arc::new(value);
                    self.last_good.insert(key.to_owned(), value.clone()).await;
                    Ok(self.entry(Some(value), self.policy.ttl))
                }
                Ok(None) => Ok(self.entry(None, self.policy.missing_ttl)),
                Err(err) => match self.last_good.get(key).await {
                    Some(stale) => {
                        tracing::warn!(key, error = %err, "catalog upstream failed; serving a stale copy");
                        Ok(self.entry(Some(stale), self.policy.stale_retry))
                    }
                    None => Err(err),
                },
            }
        };
        self.answers
            .try_get_with(key.to_owned(), init)
            .await
            .map(|entry| entry.value)
            .map_err(|err: Arc<CatalogError>| (*err).clone())
    }

    /// Fetches `key` again even though an answer is cached (e.g. a track whose preview
    /// URL expired); concurrent refreshes of one key still make one request.
    pub async fn refresh<F>(&self, key: &str, fetch: F) -> CatalogResult<Option<Arc<V>>>
    where
        F: Future<Output = CatalogResult<Option<V>>>,
    {
        self.answers.invalidate(key).await;
        self.get(key, fetch).await
    }

    fn entry(&self, value: Option<Arc<V>>, ttl: Duration) -> Entry<V> {
        Entry { value, ttl }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    fn policy(ttl_ms: u64) -> CachePolicy {
        CachePolicy {
            ttl: Duration::from_millis(ttl_ms),
            missing_ttl: Duration::from_millis(ttl_ms),
            stale_for: Duration::from_secs(60),
            stale_retry: Duration::from_millis(ttl_ms),
            capacity: 100,
        }
    }

    struct Upstream {
        calls: AtomicUsize,
    }

    impl Upstream {
        fn new() -> Arc<Self> {
            Arc::new(Self {
                calls: AtomicUsize::new(0),
            })
        }

        async fn answer(&self, answer: CatalogResult<Option<u32>>) -> CatalogResult<Option<u32>> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            answer
        }

        fn calls(&self) -> usize {
            self.calls.load(Ordering::SeqCst)
        }
    }

    fn down() -> CatalogResult<Option<u32>> {
        Err(CatalogError::Unavailable {
            retry_after_secs: 5,
        })
    }

    #[tokio::test]
    async fn answers_are_cached() {
        let cache = KindCache::new(policy(60_000));
        let up = Upstream::new();
        for _ in 0..3 {
            let got = cache.get("k", up.answer(Ok(Some(7)))).await.unwrap();
            assert_eq!(got.as_deref(), Some(&7));
        }
        assert_eq!(up.calls(), 1);
    }

    #[tokio::test]
    async fn concurrent_misses_make_one_upstream_call() {
        let cache = Arc::new(KindCache::new(policy(60_000)));
        let up = Upstream::new();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (cache, up) = (cache.clone(), up.clone());
                tokio::spawn(async move { cache.get("k", up.answer(Ok(Some(1)))).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().as_deref(), Some(&1));
        }
        assert_eq!(up.calls(), 1);
    }

    #[tokio::test]
    async fn no_data_is_cached_too() {
        let cache = KindCache::new(policy(60_000));
        let up = Upstream::new();
        for _ in 0..3 {
            assert_eq!(cache.get("k", up.answer(Ok(None))).await.unwrap(), None);
        }
        assert_eq!(up.calls(), 1);
    }

    #[tokio::test]
    async fn errors_are_not_cached_when_nothing_stale_exists() {
        let cache = KindCache::new(policy(60_000));
        let up = Upstream::new();
        assert!(cache.get("k", up.answer(down())).await.is_err());
        let got = cache.get("k", up.answer(Ok(Some(3)))).await.unwrap();
        assert_eq!(got.as_deref(), Some(&3));
        assert_eq!(up.calls(), 2);
    }

    #[tokio::test]
    async fn an_expired_answer_is_fetched_again_and_stale_one_serves_an_outage() {
        let cache = KindCache::new(policy(10));
        let up = Upstream::new();
        cache.get("k", up.answer(Ok(Some(1)))).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let got = cache.get("k", up.answer(down())).await.unwrap();
        assert_eq!(got.as_deref(), Some(&1), "stale copy instead of the error");
        assert_eq!(up.calls(), 2, "the expired answer was fetched again");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let got = cache.get("k", up.answer(Ok(Some(2)))).await.unwrap();
        assert_eq!(
            got.as_deref(),
            Some(&2),
            "recovered once the upstream answers"
        );
    }

    #[tokio::test]
    async fn refresh_bypasses_a_cached_answer() {
        let cache = KindCache::new(policy(60_000));
        let up = Upstream::new();
        cache.get("k", up.answer(Ok(Some(1)))).await.unwrap();
        let got = cache.refresh("k", up.answer(Ok(Some(2)))).await.unwrap();
        assert_eq!(got.as_deref(), Some(&2));
        let got = cache.get("k", up.answer(Ok(Some(3)))).await.unwrap();
        assert_eq!(got.as_deref(), Some(&2));
        assert_eq!(up.calls(), 2);
    }

    #[tokio::test]
    async fn the_cache_is_bounded() {
        let cache = KindCache::new(CachePolicy {
            capacity: 10,
            ..policy(60_000)
        });
        let up = Upstream::new();
        for i in 0..50 {
            cache
                .get(&format!("k{i}"), up.answer(Ok(Some(i))))
                .await
                .unwrap();
        }
        cache.answers.run_pending_tasks().await;
        cache.last_good.run_pending_tasks().await;
        assert!(cache.answers.entry_count() <= 10);
        assert!(cache.last_good.entry_count() <= 10);
    }
}
