//! Keeps upstream calls within Deezer's quota (50 requests per 5 seconds per IP), for
//! the whole process.
//!
//! Each caller reserves the earliest moment at which one more request stays within the
//! limit, then sleeps until then: callers go in arrival order without waking each other
//! up to retry. A caller whose moment is too far away is refused at once instead, so a
//! burst turns into prompt 503s rather than requests queued behind each other.

use std::{collections::VecDeque, sync::Mutex, time::Duration};

use tokio::time::Instant;

pub struct RateLimiter {
    max: usize,
    window: Duration,
    max_wait: Duration,
    /// Moments granted (some may lie in the near future), oldest first.
    granted: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    /// `max` requests in any `window`; callers wait at most `max_wait` for their turn.
    pub fn new(max: u32, window: Duration, max_wait: Duration) -> Self {
        let max = max.max(1) as usize;
        Self {
            max,
            window,
            max_wait,
            granted: Mutex::new(VecDeque::with_capacity(max)),
        }
    }

    /// Waits for a turn; `Err` holds how long until one would be free.
    pub async fn acquire(&self) -> Result<(), Duration> {
        let at = self.reserve(Instant::now())?;
        tokio::time::sleep_until(at).await;
        Ok(())
    }

    fn reserve(&self, now: Instant) -> Result<Instant, Duration> {
        let mut granted = self
            .granted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while granted
            .front()
            .is_some_and(|first| *first + self.window <= now)
        {
            granted.pop_front();
        }
        // The window ending at the new request may hold `max - 1` earlier ones: it must
        // start after the grant `max` places back.
        let mut at = now;
        if granted.len() >= self.max {
            at = at.max(granted[granted.len() - self.max] + self.window);
        }
        if let Some(last) = granted.back() {
            at = at.max(*last);
        }
        let wait = at - now;
        if wait > self.max_wait {
            return Err(wait);
        }
        granted.push_back(at);
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(5);

    #[test]
    fn requests_within_the_limit_go_at_once() {
        let limiter = RateLimiter::new(3, WINDOW, Duration::ZERO);
        let now = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.reserve(now), Ok(now));
        }
        assert_eq!(limiter.reserve(now), Err(WINDOW));
    }

    #[test]
    fn a_request_over_the_limit_waits_for_the_window_to_move() {
        let limiter = RateLimiter::new(2, WINDOW, Duration::from_secs(2));
        let start = Instant::now();
        assert_eq!(limiter.reserve(start), Ok(start));
        let later = start + Duration::from_secs(4);
        assert_eq!(limiter.reserve(later), Ok(later));
        // The third request may go once the first leaves the window, 1 s from now.
        assert_eq!(limiter.reserve(later), Ok(start + WINDOW));
        // The fourth would wait until the second leaves it: 5 s, more than allowed.
        assert_eq!(limiter.reserve(later), Err(Duration::from_secs(5)));
    }

    #[test]
    fn no_window_ever_holds_more_than_the_limit() {
        let limiter = RateLimiter::new(5, WINDOW, Duration::from_secs(60));
        let start = Instant::now();
        let mut grants = Vec::new();
        for i in 0..40u64 {
            let now = start + Duration::from_millis(i * 97);
            grants.push(limiter.reserve(now).unwrap());
        }
        for (i, g) in grants.iter().enumerate() {
            let in_window = grants[i..].iter().filter(|x| **x < *g + WINDOW).count();
            assert!(in_window <= 5, "{in_window} requests within one window");
        }
        assert!(grants.windows(2).all(|w| w[0] <= w[1]), "granted in order");
    }

    #[test]
    fn old_grants_are_forgotten() {
        let limiter = RateLimiter::new(1, WINDOW, Duration::ZERO);
        let start = Instant::now();
        assert!(limiter.reserve(start).is_ok());
        assert!(limiter.reserve(start + WINDOW).is_ok());
        assert_eq!(limiter.granted.lock().unwrap().len(), 1);
    }

    #[tokio::test]
    async fn acquire_refuses_promptly_when_the_wait_is_too_long() {
        let limiter = RateLimiter::new(1, Duration::from_secs(60), Duration::from_millis(10));
        limiter.acquire().await.unwrap();
        let wait = limiter.acquire().await.unwrap_err();
        assert!(wait > Duration::from_secs(50));
    }
}
